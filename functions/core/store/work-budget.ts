import { UsageError } from '../errors.ts';
import type { ListOptions, ObjectStore } from '../ports.ts';

/**
 * What one API request or dashboard page may ask of the store: requests, as S3 bills and times
 * them (each read, each write, each listing page). A 30-day view of 100 tenants needs about 7,000
 * (a read of each day's line, two periods of 30 days); a 400-day question across every tenant does not fit.
 */
export const MAX_REQUESTS_PER_QUESTION = 10_000;

/** Keys one question may list, however few pages they take: what the listed keys can hold in memory (tens of MB). */
export const MAX_KEYS_LISTED = 200_000;

/** Keys in one listing page (S3's ListObjectsV2 returns up to 1,000): a listing costs a request per page. */
export const LISTING_PAGE = 1000;

/** A question would cost more than it may: the answer says how to narrow it. */
export class WorkLimitError extends UsageError {}

/**
 * The store as one question may use it: at most `limit` requests (each read and write counts one,
 * a listing one per page of LISTING_PAGE keys) and at most `keys` keys listed, so the cost of a
 * request is bounded by the budget, not by how much data the bucket holds. A key listed counts for
 * a thousandth of a read: that is its share of a page, and a 90-key listing costs S3 one round trip,
 * as a read does. Past either bound, WorkLimitError (`TOO_MUCH_WORK`) with `advice`, which says how
 * to ask a narrower question.
 */
export function withWorkBudget(
  store: ObjectStore,
  limit: number,
  advice: string,
  keys = MAX_KEYS_LISTED,
): ObjectStore & { readonly touched: number; readonly listed: number } {
  let touched = 0;
  let listed = 0;
  const touch = () => {
    if (++touched > limit)
      throw new WorkLimitError(
        'TOO_MUCH_WORK',
        `this question needs more than ${limit.toLocaleString('en-US')} requests to the store; ${advice}`,
      );
  };
  /** One listing: its first page when it starts, another each LISTING_PAGE keys. */
  async function* paged<T>(items: AsyncIterable<T>): AsyncGenerator<T> {
    touch();
    let n = 0;
    for await (const item of items) {
      if (n > 0 && n % LISTING_PAGE === 0) touch();
      n++;
      if (++listed > keys)
        throw new WorkLimitError('TOO_MUCH_WORK', `this question lists more than ${keys.toLocaleString('en-US')} keys; ${advice}`);
      yield item;
    }
  }
  return {
    get touched() {
      return touched;
    },
    get listed() {
      return listed;
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
    list: (prefix, options) => paged(store.list(prefix, options)),
    ...(store.keys ? { keys: (prefix: string, options?: ListOptions) => paged(store.keys!(prefix, options)) } : {}),
    ...(store.getHead
      ? {
          async getHead(key: string, bytes: number, until?: number) {
            touch();
            return store.getHead!(key, bytes, until);
          },
        }
      : {}),
    ...(store.folders ? { folders: (prefix: string) => paged(store.folders!(prefix)) } : {}),
  };
}
