import { ConflictBudgetError, PreconditionFailedError } from '../errors.ts';
import type { Clock, ObjectStore, StoredObject } from '../ports.ts';
import { decode, encode, type StoredRecord } from './records.ts';

/** How long a compare-and-swap may keep losing races: one value, from the runtime config, threaded everywhere. */
export interface CasOptions {
  clock: Clock;
  /** Give up (with a transient error) only when this much time has passed: no attempt limit. */
  budgetMs: number;
}

/** The default when no runtime config says otherwise (the CLI, tests): one minute; deployed, the runtime config sets it. */
export const DEFAULT_CAS_BUDGET_MS = 60_000;

export interface CasResult<T> {
  value: T;
  /** Whether this call wrote (false when `update` said there was nothing to change). */
  wrote: boolean;
  /** Whether it wrote the object's first version. */
  created: boolean;
  attempts: number;
}

/**
 * What the caller knows about the object. `absent`: it is probably not there yet (its rollup was
 * just created, its day is new), so the first attempt creates it without reading it first: one
 * request instead of two. Never needed for correctness: if it is there, the create fails and the
 * usual read → write follows.
 */
export interface CasHint {
  absent?: boolean;
  /** The object as the caller just read it (null: not there): the first attempt starts from it instead of reading again. */
  read?: StoredObject | null;
}

/**
 * Read → compute → conditional write, retried with full jitter on a lost race (412/409, or a
 * create that found the object already there). `update` returns the new value, or `null` when
 * the current value needs no change. What is read is checked against `kind` first.
 */
export async function casUpdate<T>(
  store: ObjectStore,
  key: string,
  kind: StoredRecord<T>,
  update: (current: T | null) => T | null,
  options: CasOptions,
  hint: CasHint = {},
): Promise<CasResult<T | null>> {
  let value: T | null = null;
  let next: T | null = null;
  const r = await casUpdateBytes(
    store,
    key,
    (current) => {
      value = current ? decode(current.body, key, kind) : null;
      next = update(value);
      return next === null ? null : encode(next);
    },
    options,
    hint,
  );
  return { value: r.wrote ? next : value, wrote: r.wrote, created: r.created, attempts: r.attempts };
}

/** Writes `body` whatever is there (a snapshot, not a count): create, or replace the version read. */
export async function replaceObject(store: ObjectStore, key: string, body: Uint8Array, options: CasOptions): Promise<void> {
  await casUpdateBytes(store, key, () => body, options);
}

/** Creates the object unless it exists; false when it did (written by an earlier attempt, or a concurrent one). */
export async function createIfAbsent(store: ObjectStore, key: string, body: Uint8Array): Promise<boolean> {
  try {
    await store.putIfAbsent(key, body);
    return true;
  } catch (err) {
    if (err instanceof PreconditionFailedError) return false;
    throw err;
  }
}

/** casUpdate for raw bytes: `update` sees the stored object (or null) and returns the new body, or null. */
export async function casUpdateBytes(
  store: ObjectStore,
  key: string,
  update: (current: StoredObject | null) => Uint8Array | null,
  options: CasOptions,
  hint: CasHint = {},
): Promise<{ wrote: boolean; created: boolean; attempts: number; etag?: string }> {
  const deadline = options.clock.now().getTime() + options.budgetMs;
  let guessAbsent = hint.absent === true;
  let read = hint.read;
  for (let attempt = 1; ; attempt++) {
    const current = read !== undefined ? read : guessAbsent ? null : await store.get(key);
    read = undefined;
    const body = update(current);
    if (body === null) {
      // Nothing to write to a missing object, but the guess may be wrong: read what is there.
      if (guessAbsent) {
        guessAbsent = false;
        attempt--;
        continue;
      }
      return { wrote: false, created: false, attempts: attempt };
    }
    try {
      const { etag } = current ? await store.putIfMatch(key, body, current.etag) : await store.putIfAbsent(key, body);
      return { wrote: true, created: current === null, attempts: attempt, etag };
    } catch (err) {
      if (!(err instanceof PreconditionFailedError)) throw err;
      if (guessAbsent) {
        // It was there after all: read it and merge into what it holds (no race lost, no wait,
        // and not counted as an attempt: receipts count races).
        guessAbsent = false;
        attempt--;
        continue;
      }
      if (options.clock.now().getTime() >= deadline) {
        throw new ConflictBudgetError(
          'CAS_BUDGET_EXHAUSTED',
          `${key}: still losing the compare-and-swap race after ${attempt} attempts; retry later`,
          { cause: err },
        );
      }
      // Full jitter, capped: contention here is a few writers on one hour, not a stampede.
      await options.clock.sleep(Math.random() * Math.min(1000, 10 * 2 ** Math.min(attempt, 7)));
    }
  }
}
