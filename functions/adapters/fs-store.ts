import { createHash, randomBytes } from 'node:crypto';
import { link, mkdir, open, readdir, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { PreconditionFailedError } from '../core/errors.ts';
import type { ListedObject, ObjectStore, StoredObject } from '../core/ports.ts';

/**
 * The object store on a local data folder, with S3's conditional-write semantics:
 * - putIfAbsent: write a temp file, then `link()` it into place (atomic, fails if it exists);
 * - putIfMatch: under a per-key lock file (`open(…, 'wx')`), compare the content hash, then
 *   `rename()` a temp file over the object (atomic), so a crash never leaves half a file.
 * The ETag is the file's inode, size and mtime: every write renames a new file into place, so
 * the tag changes on every write, and listing needs a stat, not a read.
 * Locks older than `staleLockMs` are taken over: a process that crashed holding one is not waited for.
 */
export interface FsStoreOptions {
  root: string;
  staleLockMs?: number;
}

const TMP = '.tmp';
const LOCKS = '.locks';

function etagOfStats(s: { ino: bigint; size: bigint; mtimeNs: bigint }): string {
  return `"${s.ino.toString(36)}-${s.size.toString(36)}-${s.mtimeNs.toString(36)}"`;
}

export function createFsStore(options: FsStoreOptions): ObjectStore {
  const root = options.root;
  const staleLockMs = options.staleLockMs ?? 30_000;
  const pathOf = (key: string) => {
    if (!key || key.startsWith('/') || key.split('/').some((p) => p === '..' || p === '' || p.startsWith('.'))) {
      throw new Error(`invalid object key "${key}"`);
    }
    return join(root, ...key.split('/'));
  };

  async function writeTemp(body: Uint8Array): Promise<string> {
    const dir = join(root, TMP);
    await mkdir(dir, { recursive: true });
    const tmp = join(dir, `${process.pid}-${randomBytes(6).toString('hex')}`);
    const fh = await open(tmp, 'wx');
    try {
      await fh.writeFile(body);
      await fh.sync();
    } finally {
      await fh.close();
    }
    return tmp;
  }

  async function withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const dir = join(root, LOCKS);
    await mkdir(dir, { recursive: true });
    const lock = join(dir, createHash('sha1').update(key).digest('hex'));
    for (let attempt = 0; ; attempt++) {
      try {
        const fh = await open(lock, 'wx');
        await fh.writeFile(`${process.pid} ${Date.now()}`);
        await fh.close();
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const age = await stat(lock).then((s) => Date.now() - s.mtimeMs, () => 0);
        if (age > staleLockMs) await rm(lock, { force: true });
        else await new Promise((r) => setTimeout(r, Math.min(50, 1 + attempt) * Math.random()));
      }
    }
    try {
      return await fn();
    } finally {
      await rm(lock, { force: true });
    }
  }

  return {
    async get(key) {
      let fh;
      try {
        fh = await open(pathOf(key), 'r');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw err;
      }
      try {
        // Tag and bytes from the same open file, so a concurrent rename cannot mix them up.
        const st = await fh.stat({ bigint: true });
        const body = await fh.readFile();
        return { body, etag: etagOfStats(st) } satisfies StoredObject;
      } finally {
        await fh.close();
      }
    },

    async putIfAbsent(key, body) {
      const target = pathOf(key);
      await mkdir(dirname(target), { recursive: true });
      const tmp = await writeTemp(body);
      try {
        await link(tmp, target);
        return { etag: etagOfStats(await stat(target, { bigint: true })) };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new PreconditionFailedError(key, 'already exists');
        throw err;
      } finally {
        await unlink(tmp).catch(() => {});
      }
    },

    async putIfMatch(key, body, etag) {
      const target = pathOf(key);
      return withLock(key, async () => {
        const current = await stat(target, { bigint: true }).catch((err: NodeJS.ErrnoException) => {
          if (err.code === 'ENOENT') return null;
          throw err;
        });
        if (!current) throw new PreconditionFailedError(key, 'does not exist (If-Match on a missing object)');
        if (etagOfStats(current) !== etag) throw new PreconditionFailedError(key, 'changed since it was read');
        const tmp = await writeTemp(body);
        await rename(tmp, target);
        return { etag: etagOfStats(await stat(target, { bigint: true })) };
      });
    },

    async *list(prefix) {
      // Walk only the deepest directory the prefix names, then filter by the full prefix.
      const slash = prefix.lastIndexOf('/');
      const base = slash < 0 ? root : join(root, ...prefix.slice(0, slash).split('/'));
      for await (const file of walk(base)) {
        const key = relative(root, file).split(sep).join('/');
        if (!key.startsWith(prefix)) continue;
        const st = await stat(file, { bigint: true }).catch(() => null);
        if (!st) continue; // removed while listing
        yield { key, etag: etagOfStats(st), size: Number(st.size), lastModified: new Date(Number(st.mtimeMs)) } satisfies ListedObject;
      }
    },
  };
}

async function* walk(dir: string): AsyncGenerator<string> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* walk(p);
    else if (e.isFile()) yield p;
  }
}

/** Writes a file atomically (temp + rename): for local outputs that are not objects. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}
