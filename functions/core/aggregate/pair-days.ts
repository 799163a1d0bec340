import type { FamilyId } from '../formats/event.ts';
import { DAY, HOUR } from '../vocabulary/time.ts';
import { PairTable } from './pair-table.ts';
import { SortedPairs } from './sorted-pairs.ts';
import { isFinal } from '../vocabulary/outcomes.ts';
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
  // One table for all days, sized for the part: a pair's day is fixed by its first row (hours in
  // order), so its hour is kept with it (an event pair's as hour + 1, never 0, which is "absent").
  const t = new PairTable(events);
  for (const batch of sorted) {
    const hour = batch.hour / HOUR;
    const finals = batch.groups.map((g) => isFinal(g.outcome));
    for (let i = 0; i < batch.n; i++) {
      const s = t.slotOf(batch.msgHi[i]!, batch.msgLo[i]!);
      const final = finals[batch.grp[i]!]!;
      const a = t.aAt(s);
      const b = t.bAt(s);
      if (kind === 'status') {
        if (a === 0 && b === 0) t.setAt(s, hour, 1 + (final ? STATUS_FINAL : 0));
        else if (!final && b & STATUS_FINAL) t.setAt(s, a, 1);
      } else if (a === 0) t.setAt(s, hour + 1, final ? 1 : 0);
      else if (final) t.setAt(s, a, 1);
    }
  }
  // Sorted once, then dealt out to the days in that order (each day's pairs stay sorted).
  const all = t.sorted().quads;
  const n = all.length >>> 2;
  const days = new Float64Array(n);
  const counts = new Map<number, number>();
  let last = NaN;
  let run = 0;
  for (let p = 0; p < n; p++) {
    const h = kind === 'status' ? all[4 * p + 2]! : all[4 * p + 2]! - 1;
    const d = Math.floor((h * HOUR) / DAY) * DAY;
    days[p] = d;
    if (d !== last) {
      if (run) counts.set(last, (counts.get(last) ?? 0) + run);
      last = d;
      run = 0;
    }
    run++;
  }
  if (run) counts.set(last, (counts.get(last) ?? 0) + run);
  const out = new Map<number, SortedPairs>();
  const at = new Map<number, number>();
  for (const d of [...counts.keys()].sort((x, y) => x - y)) {
    out.set(d, new SortedPairs(new Uint32Array(counts.get(d)! * 4)));
    at.set(d, 0);
  }
  for (let p = 0; p < n; p++) {
    const d = days[p]!;
    const q = out.get(d)!.quads;
    const k = at.get(d)!;
    q[k] = all[4 * p]!;
    q[k + 1] = all[4 * p + 1]!;
    q[k + 2] = kind === 'events' ? 1 : all[4 * p + 2]!;
    q[k + 3] = all[4 * p + 3]!;
    at.set(d, k + 4);
  }
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
