import { describe, expect, it } from 'vitest';
import { PairTable } from '../../functions/core/aggregate/pair-table.ts';
import { SortedPairs } from '../../functions/core/aggregate/sorted-pairs.ts';
import { encodePairIndex, parsePairIndex, readPairIndex, recordPairs } from '../../functions/core/store/pair-index.ts';
import { StoredDataError } from '../../functions/core/store/records.ts';
import { generated } from '../helpers/bytes.ts';
import { fastClock, ingestBytes, snapshot } from '../helpers/ingest.ts';
import { createMemoryStore } from '../helpers/memory-store.ts';

/**
 * Issue 13 (1): the pair index as sorted u32 quadruples, stored as they are held (16 bytes a pair
 * after one JSON line), merged in one pass; and the first indexes (schema 2, base64 in JSON) still read.
 */
const DAY = Date.UTC(2026, 10, 20);
const cas = { clock: fastClock, budgetMs: 10_000 };

function table(n: number, value: (i: number) => [number, number] = (i) => [i % 5, 1]): PairTable {
  const t = new PairTable();
  for (let i = 1; i <= n; i++) t.set(i * 2654435761, i, ...value(i));
  return t;
}

function isSorted(p: SortedPairs): boolean {
  const q = p.quads;
  for (let i = 4; i < q.length; i += 4) if (q[i - 4]! > q[i]! || (q[i - 4] === q[i] && q[i - 3]! >= q[i + 1]!)) return false;
  return true;
}

describe('PairTable → SortedPairs', () => {
  it('sorts 100,000 pairs (and the 0:0 pair) by high then low word, values kept, absent entries left out', () => {
    const t = table(100_000);
    t.set(0, 0, 7, 1);
    t.set(5 * 2654435761, 5, 0, 0); // both 0: absent
    const s = t.sorted();
    expect(s.size).toBe(100_000);
    expect(isSorted(s)).toBe(true);
    expect(s.get(0, 0)).toEqual([7, 1]);
    expect(s.get(3 * 2654435761, 3)).toEqual([3, 1]);
    expect(s.get(99_999 * 2654435761, 99_999)).toEqual([4, 1]);
    expect(s.get(5 * 2654435761, 5)).toBeNull();
    expect(s.get(12345, 678)).toBeNull();
  });

  it('merge visits every pair of either side once and drops results of 0, 0', () => {
    const a = table(1000).sorted();
    const b = table(1500, (i) => [i, 2]).sorted();
    let calls = 0;
    const m = a.merge(b, (x, y, p, q, out) => {
      calls++;
      out[0] = x + p;
      out[1] = p % 3 === 0 && p > 0 ? 0 : y + q; // a's own pairs (p = 0) always kept
      if (p % 3 === 0 && p > 0) out[0] = 0;
    });
    expect(calls).toBe(1500);
    expect(isSorted(m)).toBe(true);
    expect(m.size).toBe(1500 - 500);
    expect(m.get(2 * 2654435761, 2)).toEqual([2 + 2, 1 + 2]);
    expect(m.get(1201 * 2654435761, 1201)).toEqual([1201, 2]);
    expect(m.get(3 * 2654435761, 3)).toBeNull();
  });
});

describe('the stored pair index (schema 3)', () => {
  const ix = () => ({ applied: ['s#0:0'], status: table(300).sorted(), events: table(200, () => [1, 1]).sorted() });

  it('is one JSON line padded to 4 bytes, then 16 bytes a pair; it reads back from aligned and unaligned bytes', () => {
    const bytes = encodePairIndex('t', DAY, ix());
    const nl = bytes.indexOf(10);
    expect((nl + 1) % 4).toBe(0);
    expect(JSON.parse(Buffer.from(bytes.subarray(0, nl)).toString())).toMatchObject({
      schema: 3,
      tenant: 't',
      day: '2026-11-20',
      status: 300,
      events: 200,
    });
    expect(bytes.length).toBe(nl + 1 + 500 * 16);
    const shifted = new Uint8Array(bytes.length + 1).subarray(1);
    shifted.set(bytes);
    for (const b of [bytes, shifted]) {
      const back = parsePairIndex(b, 'k');
      expect(back.applied).toEqual(['s#0:0']);
      expect([...back.status.quads]).toEqual([...ix().status.quads]);
      expect(back.events.get(7 * 2654435761, 7)).toEqual([1, 1]);
    }
  });

  it('names the object and the bytes it expected when an index is cut short', () => {
    const bytes = encodePairIndex('t', DAY, ix());
    const cut = bytes.subarray(0, bytes.length - 16);
    expect(() => parsePairIndex(cut, 'state/pairs/tenant=t/2026-11-20.bin')).toThrow(StoredDataError);
    expect(() => parsePairIndex(cut, 'state/pairs/tenant=t/2026-11-20.bin')).toThrow(
      /state\/pairs\/tenant=t\/2026-11-20\.bin: expected \d+ bytes \(300 status and 200 event pairs after the head\), found \d+/,
    );
  });

  it('recording a part twice adds nothing; taking it out leaves the other source’s counts', async () => {
    const store = createMemoryStore();
    const part = table(50, () => [1, 1]).sorted();
    expect(await recordPairs(store, 't', DAY, 'a#0:0', 'events', part, cas)).toBe(true);
    expect(await recordPairs(store, 't', DAY, 'a#0:0', 'events', part, cas)).toBe(false);
    await recordPairs(store, 't', DAY, 'b#0:0', 'events', table(10, () => [1, 0]).sorted(), cas);
    expect((await readPairIndex(store, 't', DAY))!.events.get(3 * 2654435761, 3)).toEqual([2, 1]);
    await recordPairs(store, 't', DAY, 'a#0:0', 'events', part, cas, true);
    const left = (await readPairIndex(store, 't', DAY))!;
    expect(left.applied).toEqual(['b#0:0']);
    expect(left.events.size).toBe(10);
    expect(left.events.get(3 * 2654435761, 3)).toEqual([1, 0]);
  });
});

describe('recording parts of both kinds in turn (merged straight into the stored bytes)', () => {
  it('stores exactly what encoding the merged index gives, whatever the order, sizes and removals', async () => {
    const store = createMemoryStore();
    // Expected index, kept the plain way: a table per kind, encoded at the end.
    const want = { status: new PairTable(), events: new PairTable() };
    const applied: string[] = [];
    let x = 7;
    const next = () => ((x = (x * 1103515245 + 12345) >>> 0), x);
    const parts: Array<{ marker: string; kind: 'status' | 'events'; pairs: SortedPairs }> = [];
    for (let i = 0; i < 14; i++) {
      const kind = i % 3 === 1 ? 'status' : 'events';
      const t = new PairTable();
      // Sizes from 1 to 3,000, overlapping earlier parts: counts go up and down across digit lengths.
      for (let j = 0, n = 1 + (next() % 3000); j < n; j++) {
        const p = next() % 4000;
        t.set(p * 2654435761, p + 1, kind === 'status' ? 490_000 + (p % 24) : 1, kind === 'status' ? 1 : p % 2);
      }
      parts.push({ marker: `s${i}#0:0`, kind, pairs: t.sorted() });
    }
    const apply = (part: (typeof parts)[number], d: 1 | -1) => {
      const table = want[part.kind];
      part.pairs.forEach((hi, lo, a, b) => {
        const cur = table.get(hi, lo) ?? [0, 0];
        if (part.kind === 'events') {
          const n = cur[0] + d * a;
          table.set(hi, lo, Math.max(0, n), n > 0 ? Math.max(0, cur[1] + d * b) : 0);
        } else {
          const n = (cur[1] & 0xffff) + d;
          table.set(hi, lo, n > 0 ? (cur[0] ? Math.min(cur[0], a) : a) : 0, n > 0 ? n : 0);
        }
      });
    };
    for (const [i, part] of parts.entries()) {
      await recordPairs(store, 't', DAY, part.marker, part.kind, part.pairs, cas);
      apply(part, 1);
      applied.push(part.marker);
      // Take some out again: the index shrinks, its head's counts lose digits.
      if (i % 4 === 3) {
        const gone = parts[i - 2]!;
        await recordPairs(store, 't', DAY, gone.marker, gone.kind, gone.pairs, cas, true);
        apply(gone, -1);
        applied.splice(applied.indexOf(gone.marker), 1);
      }
      const stored = (await store.get(`state/pairs/tenant=t/2026-11-20.bin`))!.body;
      const expected = encodePairIndex('t', DAY, {
        applied: [...applied].sort(),
        status: want.status.sorted(),
        events: want.events.sorted(),
      });
      const a = parsePairIndex(stored, 'k');
      const b = parsePairIndex(expected, 'k');
      expect(a.applied).toEqual(b.applied);
      expect([...a.status.quads]).toEqual([...b.status.quads]);
      expect([...a.events.quads]).toEqual([...b.events.quads]);
    }
  });
});

describe('an index of schema 2 (JSON, base64), as the first builds wrote it', () => {
  /** What those builds wrote for the same index: `<day>.json`, the tables as base64 quadruples. */
  function asSchema2(bin: Uint8Array): Uint8Array {
    const ix = parsePairIndex(bin, 'k');
    const b64 = (p: SortedPairs) => Buffer.from(p.quads.buffer, p.quads.byteOffset, p.quads.byteLength).toString('base64');
    const head = JSON.parse(Buffer.from(bin.subarray(0, bin.indexOf(10))).toString());
    return Buffer.from(
      JSON.stringify({
        schema: 2,
        tenant: head.tenant,
        day: head.day,
        applied: ix.applied,
        status: b64(ix.status),
        events: b64(ix.events),
      }),
    );
  }

  it('a summary indexed by an older build is still superseded by a detail ingested after the upgrade', async () => {
    const summary = generated({ family: 'trace-summary', rows: 2000, seed: 9 });
    const detail = generated({ family: 'trace-detail', rows: 6000, seed: 9 });
    const upgraded = createMemoryStore();
    await ingestBytes(upgraded, 's.csv', summary);
    const bins = [...upgraded.objects.keys()].filter((k) => k.startsWith('state/pairs/'));
    expect(bins.length).toBeGreaterThan(0);
    for (const k of bins) {
      upgraded.objects.set(k.replace(/\.bin$/, '.json'), { body: asSchema2(upgraded.objects.get(k)!.body), etag: '"old"' });
      upgraded.objects.delete(k);
    }
    const r = await ingestBytes(upgraded, 'd.csv', detail);
    expect(r.superseded).toBeGreaterThan(0);
    const fresh = createMemoryStore();
    await ingestBytes(fresh, 's.csv', summary);
    await ingestBytes(fresh, 'd.csv', detail);
    expect(await snapshot(upgraded, false)).toEqual(await snapshot(fresh, false));
    // Each day's index carried on from the old one: what it had applied is applied in the new one.
    for (const k of bins) {
      const old = JSON.parse(Buffer.from(upgraded.objects.get(k.replace(/\.bin$/, '.json'))!.body).toString()).applied as string[];
      expect(parsePairIndex(upgraded.objects.get(k)!.body, k).applied).toEqual(expect.arrayContaining(old));
    }
  });
});
