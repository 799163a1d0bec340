import type { FamilyId } from '../formats/event.ts';
import { DAY, HOUR } from '../vocabulary/time.ts';
import { SortedPairs } from './sorted-pairs.ts';
import { isFinal } from '../vocabulary/outcomes.ts';
import { sortRecords } from './u64-set.ts';
import type { HourBatch } from './rollup.ts';

/**
 * One truth per message across export families. Status families give one row per message and
 * recipient (its status at the time of the export); event families give its events. When both
 * describe a message, its events win: a status row is not counted when an event source of the
 * tenant has a final outcome for the pair (for a `Pending` row: any event). A `Pending` row is
 * also not counted when another status source has a final status for the pair (a later export,
 * or a Graph page read again once the message had settled): it was only in progress.
 */
export type SourceKind = 'status' | 'events';

const STATUS_FAMILIES: ReadonlySet<FamilyId> = new Set<FamilyId>(['trace-summary', 'eac-enhanced-summary', 'graph-trace']);

export const kindOf = (family: FamilyId): SourceKind => (STATUS_FAMILIES.has(family) ? 'status' : 'events');

/**
 * A status pair's second value counts its sources (low 16 bits) and, of them, those whose rows for
 * the pair are all final (high 16 bits): a Pending row of the pair is then from another source,
 * and superseded. One u32, so the pair index keeps its 16 bytes a pair and older indexes (finals
 * not counted) read as before.
 */
export const STATUS_FINAL = 0x1_0000;
export const statusSources = (v: number): number => v & 0xffff;
export const statusFinals = (v: number): number => v >>> 16;

/**
 * What one part says about pairs, per day: for a status part each pair's hour (`a`, in hours since
 * the epoch) and whether its rows are all final (`b`, STATUS_FINAL); for an event part whether it has a final outcome (`b`). A status pair's day is its
 * row's (the time the message was received); an event pair's is its earliest event in the part,
 * which is that day or a later one.
 */
export function pairsByDay(batches: Iterable<HourBatch>, kind: SourceKind): Map<number, SortedPairs> {
  const sorted = [...batches].sort((a, b) => a.hour - b.hour);
  let events = 0;
  for (const b of sorted) events += b.n;
  // Every event as (low, high, hour · 2 + final), in hour order, then sorted by pair (stable): a
  // pair's rows end up together, its first row first. No hash table: a part has ~250,000 pairs,
  // and probing one at random for each event was most of this function's time.
  const rows = new Uint32Array(3 * events);
  let k = 0;
  for (const batch of sorted) {
    const hour2 = (batch.hour / HOUR) * 2;
    const finals = batch.groups.map((g) => (isFinal(g.outcome) ? 1 : 0));
    for (let i = 0; i < batch.n; i++, k += 3) {
      const hi = batch.msgHi[i]!;
      const lo = batch.msgLo[i]!;
      rows[k] = hi === 0 && lo === 0 ? 1 : lo; // 0/0 is filed as 0/1, as the pair tables keep it
      rows[k + 1] = hi;
      rows[k + 2] = hour2 + finals[batch.grp[i]!]!;
    }
  }
  const byPair = sortRecords(rows, 3);
  // One quadruple a pair: its first row's hour (its day), and for events any row final, for
  // statuses every row final.
  const all = new Uint32Array(4 * events);
  const days = new Float64Array(events);
  let n = 0;
  for (let r = 0; r < byPair.length;) {
    const lo = byPair[r]!;
    const hi = byPair[r + 1]!;
    const hour = byPair[r + 2]! >>> 1;
    let any = 0;
    let every = 1;
    for (; r < byPair.length && byPair[r] === lo && byPair[r + 1] === hi; r += 3) {
      const f = byPair[r + 2]! & 1;
      any |= f;
      every &= f;
    }
    all[4 * n] = hi;
    all[4 * n + 1] = lo;
    all[4 * n + 2] = kind === 'status' ? hour : 1;
    all[4 * n + 3] = kind === 'status' ? 1 + (every ? STATUS_FINAL : 0) : any;
    days[n++] = Math.floor((hour * HOUR) / DAY) * DAY;
  }
  // Dealt out to the days in that order (each day's pairs stay sorted): days as small numbers
  // from the first, counted, then each pair copied to its day's next place.
  if (n === 0) return new Map();
  let first = Infinity;
  let last = -Infinity;
  for (let p = 0; p < n; p++) {
    if (days[p]! < first) first = days[p]!;
    if (days[p]! > last) last = days[p]!;
  }
  if (first === last) return new Map([[first, new SortedPairs(all.subarray(0, 4 * n))]]);
  const count = new Uint32Array((last - first) / DAY + 1);
  for (let p = 0; p < n; p++) count[(days[p]! - first) / DAY]!++;
  const quads = Array.from(count, (c) => (c ? new Uint32Array(4 * c) : null));
  const at = new Uint32Array(count.length);
  for (let p = 0; p < n; p++) {
    const d = (days[p]! - first) / DAY;
    const q = quads[d]!;
    const w = at[d]!;
    q[w] = all[4 * p]!;
    q[w + 1] = all[4 * p + 1]!;
    q[w + 2] = all[4 * p + 2]!;
    q[w + 3] = all[4 * p + 3]!;
    at[d] = w + 4;
  }
  const out = new Map<number, SortedPairs>();
  quads.forEach((q, d) => q && out.set(first + d * DAY, new SortedPairs(q)));
  return out;
}

/** A batch without the events `drop` names (status events superseded by events of another source). */
export function withoutEvents(
  batch: HourBatch,
  drop: (hi: number, lo: number, outcome: string) => boolean,
  make: typeof HourBatch.from,
): HourBatch {
  const keep: number[] = [];
  for (let i = 0; i < batch.n; i++) if (!drop(batch.msgHi[i]!, batch.msgLo[i]!, batch.groups[batch.grp[i]!]!.outcome)) keep.push(i);
  if (keep.length === batch.n) return batch;
  const pick = (c: Uint32Array) => Uint32Array.from(keep, (i) => c[i]!);
  return make(batch.hour, batch.groups, {
    fpHi: pick(batch.fpHi),
    fpLo: pick(batch.fpLo),
    msgHi: pick(batch.msgHi),
    msgLo: pick(batch.msgLo),
    grp: pick(batch.grp),
  });
}
