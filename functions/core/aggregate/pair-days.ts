import type { FamilyId } from '../formats/event.ts';
import { DAY, HOUR } from '../vocabulary/time.ts';
import { PairTable } from './pair-table.ts';
import type { SortedPairs } from './sorted-pairs.ts';
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
  const out = new Map<number, PairTable>();
  const dayOf = new PairTable();
  for (const batch of [...batches].sort((a, b) => a.hour - b.hour)) {
    const day = Math.floor(batch.hour / DAY) * DAY;
    for (let i = 0; i < batch.n; i++) {
      const hi = batch.msgHi[i]!;
      const lo = batch.msgLo[i]!;
      const seen = dayOf.get(hi, lo);
      const d = seen ? seen[0] * DAY : day;
      if (!seen) dayOf.set(hi, lo, day / DAY, 1);
      let t = out.get(d);
      if (!t) out.set(d, (t = new PairTable()));
      const cur = t.get(hi, lo);
      if (kind === 'status') {
        const final = isFinal(batch.groups[batch.grp[i]!]!.outcome);
        if (!cur) t.set(hi, lo, batch.hour / HOUR, 1 + (final ? STATUS_FINAL : 0));
        else if (!final && cur[1] & STATUS_FINAL) t.set(hi, lo, cur[0], 1);
      } else t.set(hi, lo, 1, Math.max(cur?.[1] ?? 0, isFinal(batch.groups[batch.grp[i]!]!.outcome) ? 1 : 0));
    }
  }
  return new Map([...out].map(([day, t]) => [day, t.sorted()]));
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
