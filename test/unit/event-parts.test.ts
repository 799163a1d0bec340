import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { FileAggregator } from '../../functions/core/aggregate/rollup.ts';
import { decodePart, encodePart } from '../../functions/core/store/event-parts.ts';
import { StoredDataError } from '../../functions/core/store/records.ts';
import { blankEvent } from '../../functions/core/read/delivery-event.ts';

/**
 * Event parts (what forget and reprocess rebuild hours from): written with the random hash
 * columns stored as they are, read back exactly, and parts written before (schema 1: each hour's
 * five columns together, all compressed) still read the same.
 */
const HOUR = 3_600_000;
const START = Date.UTC(2026, 10, 20);

function aggregate(events: number): FileAggregator {
  const a = new FileAggregator();
  for (let i = 0; i < events; i++)
    a.add({
      ...blankEvent(),
      time: START + (i % 7) * HOUR + i,
      messageKey: `m${i % 5000}`,
      recipient: `u${i}@contoso.com`,
      recipientDomain: i % 3 ? 'contoso.com' : 'fabrikam.example',
      outcome: i % 10 === 0 ? 'deferred' : 'delivered',
      code: i % 10 === 0 ? '4.4.316' : null,
      server: `mx${i % 4}.contoso.com`,
    });
  return a;
}

/** The layout the first builds wrote (schema 1), from the same part. */
function schema1(part: FileAggregator): Buffer {
  const batches = [...part.hours.values()].sort((a, b) => a.hour - b.hour);
  const json = Buffer.from(
    JSON.stringify({ schema: 1, kind: 'events', hours: batches.map((b) => ({ hour: b.hour, n: b.n, groups: b.groups })) }),
  );
  const chunks = [Buffer.from(new Uint32Array([json.length]).buffer), json, Buffer.alloc((4 - (json.length % 4)) % 4)];
  for (const b of batches)
    for (const c of ['fpHi', 'fpLo', 'msgHi', 'msgLo', 'grp'] as const) chunks.push(Buffer.from(b[c].buffer, b[c].byteOffset, b.n * 4));
  return gzipSync(Buffer.concat(chunks), { level: 1 });
}

const columns = (p: ReturnType<typeof decodePart>) =>
  [...p.hours.values()].map((b) => ({
    hour: b.hour,
    groups: b.groups,
    ...Object.fromEntries((['fpHi', 'fpLo', 'msgHi', 'msgLo', 'grp'] as const).map((c) => [c, [...b[c].subarray(0, b.n)]])),
  }));

describe('event parts', () => {
  it('read back exactly what was written, and schema 1 parts read the same', () => {
    const part = aggregate(20_000);
    const written = columns({ kind: 'events', hours: part.hours });
    expect(written).toHaveLength(7);
    expect(columns(decodePart(encodePart(part, 'events'), 'k'))).toEqual(written);
    expect(columns(decodePart(schema1(part), 'k'))).toEqual(written);
    expect(decodePart(encodePart(part, 'status'), 'k').kind).toBe('status');
  });

  it('are a gzip stream (two members), no larger than when the random hashes were compressed too', () => {
    const part = aggregate(50_000);
    const bytes = encodePart(part, 'events');
    const raw = gunzipSync(bytes);
    expect(raw.readUInt32LE(0)).toBeGreaterThan(0);
    expect(JSON.parse(raw.subarray(4, 4 + raw.readUInt32LE(0)).toString()).schema).toBe(2);
    // 20 bytes an event, hashes stored as they are: within 2 % of compressing everything.
    expect(bytes.length).toBeLessThan(schema1(part).length * 1.02);
    expect(raw.length).toBeGreaterThan(50_000 * 20);
  });

  it('cut short, fail naming the object', () => {
    const bytes = encodePart(aggregate(2_000), 'events');
    const raw = gunzipSync(bytes);
    const cut = gzipSync(raw.subarray(0, raw.length - 100));
    expect(() => decodePart(cut, 'results/events/tenant=t/abc/g0-p0.bin.gz')).toThrow(StoredDataError);
    expect(() => decodePart(cut, 'results/events/tenant=t/abc/g0-p0.bin.gz')).toThrow(/g0-p0\.bin\.gz.*shorter than its header says/);
  });
});
