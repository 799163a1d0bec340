import { PreconditionFailedError } from '../../functions/core/errors.ts';
import type { ListedObject, ObjectStore } from '../../functions/core/ports.ts';

/**
 * An in-memory ObjectStore with S3's conditional-write semantics, for unit and property tests.
 * `unconditional: true` ignores the conditions (a plain PUT): the negative control that proves
 * a race test can detect lost updates. `yieldPoint` lets a scheduler interleave operations.
 */
export function createMemoryStore(
  options: { unconditional?: boolean; yieldPoint?: () => Promise<void> } = {},
): ObjectStore & { objects: Map<string, { body: Uint8Array; etag: string }> } {
  const objects = new Map<string, { body: Uint8Array; etag: string }>();
  let version = 0;
  const pause = options.yieldPoint ?? (() => Promise.resolve());
  return {
    objects,
    async get(key) {
      await pause();
      const o = objects.get(key);
      return o ? { body: o.body, etag: o.etag } : null;
    },
    async getHead(key, bytes) {
      // `until` only lets a store stop sooner: the whole range answers as well.
      await pause();
      const o = objects.get(key);
      return o ? o.body.subarray(0, bytes) : null;
    },
    async putIfAbsent(key, body) {
      await pause();
      if (!options.unconditional && objects.has(key)) throw new PreconditionFailedError(key, 'already exists');
      const etag = `"v${++version}"`;
      objects.set(key, { body: Uint8Array.from(body), etag });
      return { etag };
    },
    async putIfMatch(key, body, etag) {
      await pause();
      const cur = objects.get(key);
      if (!options.unconditional && (!cur || cur.etag !== etag)) throw new PreconditionFailedError(key, 'changed since it was read');
      const next = `"v${++version}"`;
      objects.set(key, { body: Uint8Array.from(body), etag: next });
      return { etag: next };
    },
    // S3's common prefixes: the folders one level below `prefix` that hold objects.
    async *folders(prefix) {
      const found = new Set<string>();
      for (const key of objects.keys()) {
        const slash = key.startsWith(prefix) ? key.indexOf('/', prefix.length) : -1;
        if (slash > 0) found.add(key.slice(0, slash + 1));
      }
      yield* [...found].sort();
    },
    async *list(prefix, listOptions) {
      const after = listOptions?.startAfter;
      for (const [key, o] of [...objects.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
        if (key.startsWith(prefix) && (after === undefined || key > after))
          yield { key, etag: o.etag, size: o.body.length, lastModified: new Date(0) } satisfies ListedObject;
      }
    },
  };
}
