import { statusFinals, statusSources, withoutEvents, type SourceKind } from '../aggregate/pair-days.ts';
import { emptyTotals, HourBatch, mergeBatch, toSummary, type HourlyRollup } from '../aggregate/rollup.ts';
import { U64Table } from '../aggregate/u64-set.ts';
import { PreconditionFailedError, SourceHistoryError } from '../errors.ts';
import type { ObjectStore } from '../ports.ts';
import type { CasOptions } from '../store/cas.ts';
import { readPart, type StoredPart } from '../store/event-parts.ts';
import { decodeLine, ROLLUP, syncSummaries } from '../store/hourly.ts';
import { DayLines } from '../store/day-lines.ts';
import { rollupDayKey } from '../store/layout.ts';
import { readPairIndex } from '../store/pair-index.ts';
import { DAY, HOUR, isoHour } from '../vocabulary/time.ts';
import type { SortedPairs } from '../aggregate/sorted-pairs.ts';

export const withoutHistory = (marker: string, what: string) =>
  new SourceHistoryError(
    'SOURCE_WITHOUT_EVENTS',
    `${what} (source ${marker}) was ingested before mailflow kept each source's events, so what it counted cannot be taken out alone: purge the tenant (mailflow purge) and ingest its exports again`,
  );

const total = (r: HourlyRollup) => Object.values(r.totals).reduce((a, b) => a + b, 0);
const same = (a: HourlyRollup, b: HourlyRollup) => JSON.stringify({ ...a, version: 0 }) === JSON.stringify({ ...b, version: 0 });

/**
 * Rebuilds hours of one tenant from the parts of the sources each lists (store/event-parts.ts):
 * without the sources `forget` names, and without the status rows that another source's events
 * supersede (aggregate/pair-days.ts, read from the pair index as it is now). A rebuild is a
 * conditional write of the version it read: a merge that lands meanwhile makes it rebuild again.
 * Parts are read once for all the hours they span, a few at a time (a part is ~5 MB decoded).
 */
export class HourRebuilder {
  private readonly parts = new Map<string, StoredPart | null>();
  private readonly store: ObjectStore;
  private readonly tenant: string;
  private readonly cas: CasOptions;

  constructor(store: ObjectStore, tenant: string, cas: CasOptions) {
    this.store = store;
    this.tenant = tenant;
    this.cas = cas;
  }

  async part(marker: string): Promise<StoredPart | null> {
    if (this.parts.has(marker)) return this.parts.get(marker)!;
    const part = await readPart(this.store, this.tenant, marker);
    if (this.parts.size >= 16) this.parts.delete(this.parts.keys().next().value!);
    this.parts.set(marker, part);
    return part;
  }

  /** Events the rebuild took out of the hour (0 when it was already what its sources say). */
  async rebuild(hour: number, forget: (marker: string) => boolean = () => false): Promise<number> {
    const key = rollupDayKey(this.tenant, hour);
    const iso = isoHour(hour);
    const deadline = this.cas.clock.now().getTime() + this.cas.budgetMs;
    for (let attempt = 1; ; attempt++) {
      const current = await this.store.get(key);
      if (!current) return 0;
      const lines = DayLines.of(current.body, key);
      const line = lines.get(iso);
      if (line === undefined) return 0;
      const rollup = decodeLine<HourlyRollup>(line, key, ROLLUP);
      const drop = await this.superseded(hour);
      let rebuilt: HourlyRollup | null = null;
      for (const marker of rollup.sources.filter((m) => !forget(m)).sort()) {
        const part = await this.part(marker);
        const batch = part?.hours.get(hour);
        if (!part || !batch) throw withoutHistory(marker, `an upload counted in ${iso}`);
        const kept = part.kind === 'status' ? withoutEvents(batch, drop, HourBatch.from) : batch;
        rebuilt = mergeBatch(rebuilt, kept, this.tenant, marker).rollup;
      }
      const next: HourlyRollup = rebuilt
        ? { ...rebuilt, version: rollup.version + 1 }
        : {
            schema: 1,
            tenant: this.tenant,
            hour: iso,
            version: rollup.version + 1,
            sources: [],
            totals: emptyTotals(),
            groups: [],
            fingerprints: new U64Table(0).encode(),
          };
      if (same(next, rollup)) {
        await syncSummaries(this.store, this.tenant, [toSummary(rollup)], this.cas); // an earlier, interrupted run may have stopped before it
        return 0;
      }
      lines.set(iso, JSON.stringify(next));
      try {
        await this.store.putIfMatch(key, lines.toBytes(), current.etag);
        await syncSummaries(this.store, this.tenant, [toSummary(next)], this.cas);
        return total(rollup) - total(next);
      } catch (err) {
        if (!(err instanceof PreconditionFailedError) || this.cas.clock.now().getTime() >= deadline) throw err;
        await this.cas.clock.sleep(Math.random() * Math.min(1000, 10 * 2 ** Math.min(attempt, 7)));
      }
    }
  }

  /**
   * Which status rows of `hour` are superseded: a final when an event source has a final for the
   * pair, a `Pending` (deferred) when it has any event or another status source has a final
   * status. Event pairs are filed under the day of their earliest event, so the status row's day
   * and the next are read; status pairs under their row's day.
   */
  private async superseded(hour: number): Promise<(hi: number, lo: number, outcome: string) => boolean> {
    const day = Math.floor(hour / DAY) * DAY;
    const indexes = [await readPairIndex(this.store, this.tenant, day), await readPairIndex(this.store, this.tenant, day + DAY)];
    return (hi, lo, outcome) => {
      let events = 0;
      let finals = 0;
      for (const ix of indexes) {
        const e = ix?.events.get(hi, lo);
        if (e) {
          events += e[0];
          finals += e[1];
        }
      }
      if (outcome !== 'deferred') return finals > 0;
      const s = indexes[0]?.status.get(hi, lo);
      // A source whose rows of the pair are all final: not this row's own (a file's rows never take
      // back each other, a recipient listed twice).
      return events > 0 || (s != null && statusFinals(s[1]) > 0);
    };
  }
}

/** The status hours (their pairs' hours) or, for events, the status rows' hours that a part's pairs touch. */
export async function hoursToCheck(
  store: ObjectStore,
  tenant: string,
  kind: SourceKind,
  byDay: ReadonlyMap<number, SortedPairs>,
): Promise<Set<number>> {
  const hours = new Set<number>();
  // A status row of day d meets events filed under d or d + 1; an event pair of day d meets status
  // rows of d or d − 1. Each index is read once (neighbouring days share one), 8 at a time.
  const near = (day: number) => (kind === 'status' ? [day, day + DAY] : [day, day - DAY]);
  const days = [...new Set([...byDay.keys()].flatMap(near))];
  const indexes = new Map<number, Awaited<ReturnType<typeof readPairIndex>>>();
  for (let i = 0; i < days.length; i += 8)
    await Promise.all(days.slice(i, i + 8).map(async (d) => indexes.set(d, await readPairIndex(store, tenant, d))));
  for (const [day, pairs] of byDay) {
    for (const d of near(day)) {
      const ix = indexes.get(d);
      if (!ix) continue;
      if (kind === 'status' ? ix.events.size === 0 && d !== day : ix.status.size === 0) continue;
      pairs.forEach((hi, lo, a) => {
        if (kind === 'status') {
          if (ix.events.get(hi, lo)) hours.add(a * HOUR);
          // Another status source has the pair, one of them with a final status: a Pending row may go.
          const s = d === day ? ix.status.get(hi, lo) : undefined;
          if (s && statusSources(s[1]) > 1 && statusFinals(s[1]) > 0) hours.add(a * HOUR).add(s[0] * HOUR);
        } else {
          const s = ix.status.get(hi, lo);
          if (s) hours.add(s[0] * HOUR);
        }
      });
    }
  }
  return hours;
}
