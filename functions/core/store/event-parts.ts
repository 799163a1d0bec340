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
 * Layout (then gzip): u32 length of a JSON header `{ schema, hours: [{ hour, n, groups }] }`, the
 * header padded to 4 bytes, then per hour five little-endian u32 columns of n: fingerprint high and
 * low, message-and-recipient hash high and low, group index. ~20 bytes an event before gzip.
 */
interface PartHeader {
  schema: 1;
  /** Whether the source gives statuses (summaries) or events: which one wins for a message (aggregate/pair-days.ts). */
  kind?: SourceKind;
  hours: Array<{ hour: number; n: number; groups: GroupFields[] }>;
}

export interface StoredPart {
  kind: SourceKind;
  hours: Map<number, HourBatch>;
}

const COLUMNS = ['fpHi', 'fpLo', 'msgHi', 'msgLo', 'grp'] as const;

export function encodePart(part: FileAggregator, kind: SourceKind): Buffer {
  const batches = [...part.hours.values()].sort((a, b) => a.hour - b.hour);
  const header: PartHeader = { schema: 1, kind, hours: batches.map((b) => ({ hour: b.hour, n: b.n, groups: b.groups })) };
  const json = Buffer.from(JSON.stringify(header));
  const pad = (4 - (json.length % 4)) % 4;
  const chunks: Buffer[] = [Buffer.from(new Uint32Array([json.length]).buffer), json, Buffer.alloc(pad)];
  for (const b of batches) for (const c of COLUMNS) chunks.push(Buffer.from(b[c].buffer, b[c].byteOffset, b.n * 4));
  return gzipSync(Buffer.concat(chunks), { level: 1 });
}

export function decodePart(bytes: Uint8Array, key: string): StoredPart {
  let raw: Buffer;
  let header: PartHeader;
  try {
    raw = gunzipSync(bytes);
    const length = raw.readUInt32LE(0);
    header = JSON.parse(raw.subarray(4, 4 + length).toString('utf8')) as PartHeader;
    if (header.schema !== 1 || !Array.isArray(header.hours)) throw new Error(`schema ${String(header.schema)}`);
    let offset = 4 + length + ((4 - (length % 4)) % 4);
    const out = new Map<number, HourBatch>();
    for (const h of header.hours) {
      const column = () => {
        // Copied out of the gunzipped buffer: aligned, and not pinning the whole buffer.
        const c = new Uint32Array(h.n);
        Buffer.from(c.buffer).set(raw.subarray(offset, offset + h.n * 4));
        offset += h.n * 4;
        return c;
      };
      const [fpHi, fpLo, msgHi, msgLo, grp] = COLUMNS.map(column) as Array<Uint32Array<ArrayBuffer>> as [
        Uint32Array<ArrayBuffer>,
        Uint32Array<ArrayBuffer>,
        Uint32Array<ArrayBuffer>,
        Uint32Array<ArrayBuffer>,
        Uint32Array<ArrayBuffer>,
      ];
      if (offset > raw.length) throw new Error('shorter than its header says');
      out.set(h.hour, HourBatch.from(h.hour, h.groups, { fpHi, fpLo, msgHi, msgLo, grp }));
    }
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
