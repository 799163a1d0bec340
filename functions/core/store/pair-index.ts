import { STATUS_FINAL, statusFinals, statusSources, type SourceKind } from '../aggregate/pair-days.ts';
import { PairTable } from '../aggregate/pair-table.ts';
import { SortedPairs } from '../aggregate/sorted-pairs.ts';
import type { ObjectStore, StoredObject } from '../ports.ts';
import { isoDay } from '../vocabulary/time.ts';
import { casUpdateBytes, type CasOptions } from './cas.ts';
import { AREA } from './layout.ts';
import { decode, record, StoredDataError } from './records.ts';

/**
 * `state/pairs/tenant=<t>/<day>.bin`: which message-and-recipient pairs of a day status sources
 * counted (and in which hour), and which event sources have events (and finals) for. It decides
 * which status rows events supersede (aggregate/pair-days.ts), whatever order the sources came in.
 * Counts, not flags, so forgetting one source of two that saw a pair keeps the other's; `applied`
 * makes recording a part idempotent (a retry, or a concurrent delivery, adds nothing twice).
 *
 * The object is one JSON line (schema 3, tenant, day, applied, and how many status and event
 * pairs follow), padded with spaces to a multiple of 4 bytes, then the pairs: little-endian u32
 * quadruples sorted by pair (high, low; then for status: hour since the epoch and sources, with
 * the sources whose row is final in its high 16 bits; for events: sources and sources with a
 * final), status pairs first. 16 bytes a pair, read as a view, merged in one pass.
 */
interface PairIndexHead {
  schema: 3;
  tenant: string;
  day: string;
  applied: string[];
  status: number;
  events: number;
}

export interface PairIndex {
  applied: string[];
  status: SortedPairs;
  events: SortedPairs;
}

const HEAD = record<PairIndexHead>('pair index', {
  schema: 'number',
  tenant: 'string',
  day: 'string',
  applied: 'array',
  status: 'number',
  events: 'number',
});

/** The first pair indexes (schema 2, until December 2026): JSON with base64 tables, under `<day>.json`. */
const LEGACY = record<{ schema: 2; applied: string[]; status: string; events: string }>('pair index (schema 2)', {
  schema: 'number',
  applied: 'array',
  status: 'string',
  events: 'string',
});

export const pairIndexKey = (tenant: string, dayMs: number): string => `${AREA.pairs}tenant=${tenant}/${isoDay(dayMs)}.bin`;
const legacyKey = (tenant: string, dayMs: number): string => `${AREA.pairs}tenant=${tenant}/${isoDay(dayMs)}.json`;

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function quadsAt(bytes: Uint8Array, offset: number, count: number): Uint32Array {
  const at = bytes.byteOffset + offset;
  // A view when the bytes are aligned (as read from a file or S3 they usually are), a copy otherwise.
  if (at % 4 === 0) return new Uint32Array(bytes.buffer, at, count * 4);
  return new Uint32Array(bytes.slice(offset, offset + count * 16).buffer);
}

export function parsePairIndex(bytes: Uint8Array, key: string): PairIndex {
  if (!LITTLE_ENDIAN) throw new StoredDataError(key, 'pair indexes are little-endian; this machine is not');
  const nl = bytes.indexOf(10);
  if (nl < 0 || (nl + 1) % 4 !== 0) throw new StoredDataError(key, 'expected a JSON line padded to a multiple of 4 bytes, then the pairs');
  const head = decode(bytes.subarray(0, nl), key, HEAD);
  if (head.schema !== 3) throw new StoredDataError(key, `not a pair index of schema 3 (schema ${head.schema})`);
  const expected = nl + 1 + (head.status + head.events) * 16;
  if (bytes.length !== expected)
    throw new StoredDataError(
      key,
      `expected ${expected} bytes (${head.status} status and ${head.events} event pairs after the head), found ${bytes.length}`,
    );
  return {
    applied: head.applied,
    status: new SortedPairs(quadsAt(bytes, nl + 1, head.status)),
    events: new SortedPairs(quadsAt(bytes, nl + 1 + head.status * 16, head.events)),
  };
}

/** The head line, padded with spaces to `room` bytes (at least its length, rounded up to a multiple of 4). */
function headLine(tenant: string, dayMs: number, applied: string[], status: number, events: number, room = 0): Buffer {
  const head: PairIndexHead = { schema: 3, tenant, day: isoDay(dayMs), applied, status, events };
  const line = JSON.stringify(head);
  const size = Math.max(room, Math.ceil((Buffer.byteLength(line) + 1) / 4) * 4);
  return Buffer.from(line + ' '.repeat(size - 1 - Buffer.byteLength(line)) + '\n');
}

export function encodePairIndex(tenant: string, dayMs: number, ix: PairIndex): Uint8Array {
  const headBytes = headLine(tenant, dayMs, ix.applied, ix.status.size, ix.events.size);
  // A fresh ArrayBuffer (not Buffer's shared pool), so the u32 views below are aligned.
  const out = new Uint8Array(headBytes.length + (ix.status.size + ix.events.size) * 16);
  out.set(headBytes);
  const quads = new Uint32Array(out.buffer, headBytes.length);
  quads.set(ix.status.quads);
  quads.set(ix.events.quads, ix.status.quads.length);
  return out;
}

/**
 * The index with one kind's pairs merged with a part's, encoded: the merge writes straight into
 * the object's bytes (a busy day's index is ~7 MB, and each part of a large file rewrites it), the
 * head in the room left before it, the other kind's pairs copied in around it.
 */
function mergedIndex(
  tenant: string,
  dayMs: number,
  ix: PairIndex,
  kind: SourceKind,
  pairs: SortedPairs,
  applied: string[],
  combine: (x: number, y: number, a: number, b: number, out: Uint32Array) => void,
): Uint8Array {
  const other = kind === 'status' ? ix.events : ix.status;
  const mine = kind === 'status' ? ix.status : ix.events;
  // Room for the head with the largest counts the merge can give (the real one is padded to it).
  const most = mine.size + pairs.size;
  const room = headLine(tenant, dayMs, applied, kind === 'status' ? most : other.size, kind === 'status' ? other.size : most).length;
  // Event pairs follow the status pairs: an event part's merge leaves the status pairs' place
  // before it; a status part's leaves room after it for the event pairs.
  const merged = kind === 'events' ? mine.merge(pairs, combine, room + other.size * 16) : mine.merge(pairs, combine, room, other.size * 16);
  const n = merged.size;
  const head = headLine(tenant, dayMs, applied, kind === 'status' ? n : other.size, kind === 'status' ? other.size : n, room);
  const buffer = merged.quads.buffer as ArrayBuffer;
  const out = new Uint8Array(buffer, 0, room + (n + other.size) * 16);
  out.set(head);
  new Uint32Array(buffer, kind === 'events' ? room : room + n * 16, other.size * 4).set(other.quads);
  return out;
}

function parseLegacy(bytes: Uint8Array, key: string): PairIndex {
  const s = decode(bytes, key, LEGACY);
  if (s.schema !== 2) throw new StoredDataError(key, `not a pair index of schema 2 (schema ${s.schema})`);
  const table = (b64: string) => {
    const raw = Buffer.from(b64, 'base64');
    return PairTable.ofQuads(new Uint32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length))).sorted();
  };
  return { applied: s.applied, status: table(s.status), events: table(s.events) };
}

const EMPTY = (): PairIndex => ({ applied: [], status: new SortedPairs(), events: new SortedPairs() });

/** A day's index as first written (schema 2), for a day that has no `.bin` yet; null when it has neither. */
async function readLegacy(store: ObjectStore, tenant: string, dayMs: number): Promise<PairIndex | null> {
  const key = legacyKey(tenant, dayMs);
  const o = await store.get(key);
  return o ? parseLegacy(o.body, key) : null;
}

export async function readPairIndex(store: ObjectStore, tenant: string, dayMs: number): Promise<PairIndex | null> {
  const key = pairIndexKey(tenant, dayMs);
  const o = await store.get(key);
  return o ? parsePairIndex(o.body, key) : readLegacy(store, tenant, dayMs);
}

/** Adds (or, with `remove`, takes out) one part's pairs of one day; true when the day's index was new (so are its hours, most likely). */
export async function recordPairs(
  store: ObjectStore,
  tenant: string,
  dayMs: number,
  marker: string,
  kind: SourceKind,
  pairs: SortedPairs,
  cas: CasOptions,
  remove = false,
): Promise<boolean> {
  const key = pairIndexKey(tenant, dayMs);
  const first = await store.get(key);
  // A day indexed before schema 3 carries on from its old index (read once; the `.bin` supersedes it).
  const legacy = first ? null : await readLegacy(store, tenant, dayMs);
  const d = remove ? -1 : 1;
  const combine =
    kind === 'status'
      ? (x: number, y: number, a: number, b: number, out: Uint32Array) => {
          if (a === 0 && b === 0) return void ((out[0] = x), (out[1] = y));
          const n = statusSources(y) + d;
          const f = Math.max(0, statusFinals(y) + (statusFinals(b) ? d : 0));
          out[0] = n > 0 ? (x ? Math.min(x, a) : a) : 0;
          out[1] = n > 0 ? n + f * STATUS_FINAL : 0;
        }
      : (x: number, y: number, a: number, b: number, out: Uint32Array) => {
          if (a === 0 && b === 0) return void ((out[0] = x), (out[1] = y));
          const n = x + d * a;
          out[0] = Math.max(0, n);
          out[1] = n > 0 ? Math.max(0, y + d * b) : 0;
        };
  const update = (current: StoredObject | null) => {
    const ix = current ? parsePairIndex(current.body, key) : (legacy ?? EMPTY());
    if (ix.applied.includes(marker) !== remove) return null;
    const applied = remove ? ix.applied.filter((m) => m !== marker) : [...ix.applied, marker].sort();
    return mergedIndex(tenant, dayMs, ix, kind, pairs, applied, combine);
  };
  const r = await casUpdateBytes(store, key, update, cas, { read: first });
  return r.created && legacy === null;
}
