import { UsageError } from '../errors.ts';
import type { ListOptions, ObjectStore } from '../ports.ts';

/** What one API or dashboard request may touch: a 90-day question for one tenant fits (about 9,000), a 400-day question across every tenant does not. */
export const MAX_OBJECTS_PER_REQUEST = 10_000;

/** A request would touch more objects than it may: the answer says how to narrow the question. */
export class WorkLimitError extends UsageError {}

/**
 * The store as one request may use it: at most `limit` objects touched (each listing call, each
 * key it yields, each read and write counts one), so the cost of a request is bounded by the
 * budget, not by how much data the bucket holds. Past it, WorkLimitError (`TOO_MUCH_WORK`) with
 * `advice`, which says how to ask a narrower question.
 */
export function withWorkBudget(store: ObjectStore, limit: number, advice: string): ObjectStore & { readonly touched: number } {
  let touched = 0;
  const touch = () => {
    if (++touched > limit)
      throw new WorkLimitError('TOO_MUCH_WORK', `this question needs more than ${limit.toLocaleString('en-US')} objects; ${advice}`);
  };
  return {
    get touched() {
      return touched;
    },
    async get(key) {
      touch();
      return store.get(key);
    },
    async putIfAbsent(key, body) {
      touch();
      return store.putIfAbsent(key, body);
    },
    async putIfMatch(key, body, etag) {
      touch();
      return store.putIfMatch(key, body, etag);
    },
    async *list(prefix, options) {
      touch();
      for await (const o of store.list(prefix, options)) {
        touch();
        yield o;
      }
    },
    ...(store.keys
      ? {
          async *keys(prefix: string, options?: ListOptions) {
            touch();
            for await (const k of store.keys!(prefix, options)) {
              touch();
              yield k;
            }
          },
        }
      : {}),
    ...(store.getHead
      ? {
          async getHead(key: string, bytes: number, until?: number) {
            touch();
            return store.getHead!(key, bytes, until);
          },
        }
      : {}),
    ...(store.folders
      ? {
          async *folders(prefix: string) {
            touch();
            for await (const f of store.folders!(prefix)) {
              touch();
              yield f;
            }
          },
        }
      : {}),
  };
}
