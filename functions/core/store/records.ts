import { MailflowError } from '../errors.ts';
import type { ListOptions, ObjectStore } from '../ports.ts';

/**
 * What a stored JSON object must look like to be used. Records are written by this code, so a
 * mismatch means an object was edited by hand, written by another version, or damaged: the reader
 * fails with the key and the field instead of computing with `undefined`.
 */
export interface StoredRecord<T> {
  readonly kind: string;
  /** Throws StoredDataError (naming `key`) when `value` is not a `kind`. */
  check(value: unknown, key: string): T;
}

/** A stored object that is not JSON, or not the record its key says. */
export class StoredDataError extends MailflowError {
  constructor(key: string, detail: string) {
    super('BAD_STORED_OBJECT', `${key}: ${detail}`);
  }
}

type FieldType = 'string' | 'number' | 'boolean' | 'object' | 'array' | 'string?' | 'number?';

const isType = (v: unknown, t: FieldType): boolean => {
  if (t.endsWith('?') && (v === null || v === undefined)) return true;
  switch (t.replace('?', '')) {
    case 'array':
      return Array.isArray(v);
    case 'object':
      return typeof v === 'object' && v !== null && !Array.isArray(v);
    default:
      return typeof v === t.replace('?', '');
  }
};

/** A record whose named fields must have these types; other fields pass through as stored. */
export function record<T>(kind: string, fields: Record<string, FieldType>): StoredRecord<T> {
  return {
    kind,
    check(value, key) {
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        throw new StoredDataError(key, `expected a ${kind} (a JSON object)`);
      const o = value as Record<string, unknown>;
      for (const [name, type] of Object.entries(fields)) {
        if (!isType(o[name], type))
          throw new StoredDataError(
            key,
            `not a ${kind}: field "${name}" should be ${type.replace('?', ' or null')}, is ${JSON.stringify(o[name]) ?? 'missing'}`,
          );
      }
      return value as T;
    },
  };
}

/** Parses stored bytes as the record `kind` says. */
export function decode<T>(bytes: Uint8Array, key: string, kind: StoredRecord<T>): T {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (err) {
    throw new StoredDataError(key, `expected a ${kind.kind} as JSON: ${(err as Error).message}`);
  }
  return kind.check(value, key);
}

export function encode(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}

export async function readJson<T>(store: ObjectStore, key: string, kind: StoredRecord<T>): Promise<T | null> {
  const o = await store.get(key);
  return o ? decode(o.body, key, kind) : null;
}

/** Every record under `prefix`, read `concurrency` at a time, in key order. */
export async function readAll<T>(store: ObjectStore, prefix: string, kind: StoredRecord<T>, concurrency = 16): Promise<T[]> {
  const keys: string[] = [];
  for await (const o of store.list(prefix)) keys.push(o.key);
  return readMany(store, keys, kind, concurrency);
}

/** The records at `keys` (missing ones left out), read `concurrency` at a time, in the keys' order. */
export async function readMany<T>(
  store: ObjectStore,
  keys: Iterable<string> | AsyncIterable<string>,
  kind: StoredRecord<T>,
  concurrency = 16,
): Promise<T[]> {
  const out: Array<T | null> = [];
  await forEachKey(
    keys,
    (key) => {
      const i = out.push(null) - 1;
      return readJson(store, key, kind).then((v) => void (out[i] = v));
    },
    concurrency,
  );
  return out.filter((v): v is Awaited<T> => v !== null) as T[];
}

/** Runs `fn` for each key (listed or given), `concurrency` at a time; the first failure is thrown once all in flight settled. */
export async function forEachKey<K = string>(
  keys: Iterable<K> | AsyncIterable<K>,
  fn: (key: K) => Promise<void>,
  concurrency = 16,
): Promise<void> {
  // A window that slides: the next read starts as soon as any one ends, not when the slowest of a
  // batch of `concurrency` does (on S3 a batch waited for its slowest round trip every time).
  let active = 0;
  let wake: (() => void) | null = null;
  let failure: { error: unknown } | null = null;
  const ended = () => {
    active--;
    wake?.();
    wake = null;
  };
  const slot = () => new Promise<void>((resolve) => (wake = resolve));
  try {
    for await (const key of keys) {
      if (failure) break;
      active++;
      fn(key).then(ended, (error: unknown) => {
        failure ??= { error };
        ended();
      });
      if (active >= concurrency) await slot();
    }
  } finally {
    // Also when the listing failed: the reads in flight settle first, so none is still going on behind the error.
    while (active > 0) await slot();
  }
  if (failure) throw (failure as { error: unknown }).error;
}

/** The folders right below `prefix` that hold objects, sorted: the store's own listing when it has one. */
/** The keys under `prefix` in key order (see ObjectStore.keys), from `list` where a store has no `keys`. */
export async function* listKeys(store: ObjectStore, prefix: string, options?: ListOptions): AsyncGenerator<string> {
  if (store.keys) yield* store.keys(prefix, options);
  else for await (const o of store.list(prefix, options)) yield o.key;
}

export async function listFolders(store: ObjectStore, prefix: string): Promise<string[]> {
  const out = new Set<string>();
  if (store.folders) for await (const f of store.folders(prefix)) out.add(f);
  else
    for await (const o of store.list(prefix)) {
      const slash = o.key.indexOf('/', prefix.length);
      if (slash > 0) out.add(o.key.slice(0, slash + 1));
    }
  return [...out].sort();
}
