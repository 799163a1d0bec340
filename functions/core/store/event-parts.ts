import { gunzipSync, gzipSync } from 'node:zlib';
import { HourBatch, type FileAggregator, type GroupFields } from '../aggregate/rollup.ts';
import type { ObjectStore } from '../ports.ts';
import type { SourceKind } from '../aggregate/pair-days.ts';
import { createIfAbsent } from './cas.ts';
import { eventPartKey } from './layout.ts';
import { StoredDataError } from './records.ts';

/**
 * One part of one source's counted events, as merged into the rollups: written once, before the
 * part is merged, and never changed (a retry writes the same bytes, or finds them). What the
 * rollups hold can then be rebuilt from the parts of the sources they list — which is how a source
 * is forgotten or read again (flows/forget-sources.ts).
 *
 * Layout (gzip, two members read as one stream): u32 length of a JSON header `{ schema, hours:
 * [{ hour, n, groups }] }`, the header padded to 4 bytes, then per hour the group index column
 * (little-endian u32 of n), all compressed; then per hour four u32 columns of n, fingerprint high and
 * low, message-and-recipient hash high and low, stored uncompressed (gzip level 0): they are random
 * hashes, and compressing them (~80 ms a part of 250,000 events) saved nothing. ~20 bytes an event.
 * Schema 1 parts (written before) have each hour's five columns together, all compressed.
 */
interface PartHeader {
  schema: 1 | 2;
  /** Whether the source gives statuses (summaries) or events: which one wins for a message (aggregate/pair-days.ts). */
  kind?: SourceKind;
  hours: Array<{ hour: number; n: number; groups: GroupFields[] }>;
}

export interface StoredPart {
  kind: SourceKind;
  hours: Map<number, HourBatch>;
}

const COLUMNS = ['fpHi', 'fpLo', 'msgHi', 'msgLo', 'grp'] as const;
const HASHES = ['fpHi', 'fpLo', 'msgHi', 'msgLo'] as const;

export function encodePart(part: FileAggregator, kind: SourceKind): Buffer {
  const batches = [...part.hours.values()].sort((a, b) => a.hour - b.hour);
  const header: PartHeader = { schema: 2, kind, hours: batches.map((b) => ({ hour: b.hour, n: b.n, groups: b.groups })) };
  const json = Buffer.from(JSON.stringify(header));
  const pad = (4 - (json.length % 4)) % 4;
  const bytes = (b: HourBatch, c: (typeof COLUMNS)[number]) => Buffer.from(b[c].buffer, b[c].byteOffset, b.n * 4);
  const head: Buffer[] = [Buffer.from(new Uint32Array([json.length]).buffer), json, Buffer.alloc(pad)];
  for (const b of batches) head.push(bytes(b, 'grp'));
  const hashes: Buffer[] = [];
  for (const b of batches) for (const c of HASHES) hashes.push(bytes(b, c));
  return Buffer.concat([gzipSync(Buffer.concat(head), { level: 1 }), gzipSync(Buffer.concat(hashes), { level: 0 })]);
}

export function decodePart(bytes: Uint8Array, key: string): StoredPart {
  let raw: Buffer;
  let header: PartHeader;
  try {
    raw = gunzipSync(bytes);
    const length = raw.readUInt32LE(0);
    header = JSON.parse(raw.subarray(4, 4 + length).toString('utf8')) as PartHeader;
    if ((header.schema !== 1 && header.schema !== 2) || !Array.isArray(header.hours)) throw new Error(`schema ${String(header.schema)}`);
    let offset = 4 + length + ((4 - (length % 4)) % 4);
    const column = (n: number): Uint32Array<ArrayBuffer> => {
      if (offset + n * 4 > raw.length) throw new Error('shorter than its header says');
      // Copied out of the gunzipped buffer: aligned, and not pinning the whole buffer.
      const c = new Uint32Array(n);
      Buffer.from(c.buffer).set(raw.subarray(offset, offset + n * 4));
      offset += n * 4;
      return c;
    };
    type Columns = Record<(typeof COLUMNS)[number], Uint32Array<ArrayBuffer>>;
    const columns: Columns[] = header.hours.map(() => ({}) as Columns);
    // Schema 1: each hour's five columns together; schema 2: every hour's groups, then every hour's hashes.
    if (header.schema === 1) header.hours.forEach((h, i) => COLUMNS.forEach((c) => (columns[i]![c] = column(h.n))));
    else {
      header.hours.forEach((h, i) => (columns[i]!.grp = column(h.n)));
      header.hours.forEach((h, i) => HASHES.forEach((c) => (columns[i]![c] = column(h.n))));
    }
    const out = new Map<number, HourBatch>();
    header.hours.forEach((h, i) => out.set(h.hour, HourBatch.from(h.hour, h.groups, columns[i]!)));
    return { kind: header.kind ?? 'events', hours: out };
  } catch (err) {
    throw new StoredDataError(key, `not an event part: ${(err as Error).message}`);
  }
}

/** Writes a part unless it is there (an earlier attempt wrote the same events). */
export async function writePart(store: ObjectStore, tenant: string, marker: string, part: FileAggregator, kind: SourceKind): Promise<void> {
  await createIfAbsent(store, eventPartKey(tenant, marker), encodePart(part, kind));
}

export async function readPart(store: ObjectStore, tenant: string, marker: string): Promise<StoredPart | null> {
  const key = eventPartKey(tenant, marker);
  const o = await store.get(key);
  return o ? decodePart(o.body, key) : null;
}
