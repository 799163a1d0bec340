import { emptyTotals, mergeBatch, type HourBatch, type HourlyRollup } from '../aggregate/rollup.ts';
import { U64Table } from '../aggregate/u64-set.ts';
import { PreconditionFailedError, SourceHistoryError, UsageError } from '../errors.ts';
import type { ObjectStore } from '../ports.ts';
import type { CasOptions } from '../store/cas.ts';
import { readPart } from '../store/event-parts.ts';
import { ROLLUP, syncSummary } from '../store/hourly.ts';
import { eventPartPrefix, parseMarker, partMarker, receiptKey, rollupKey } from '../store/layout.ts';
import { RECEIPT, readAgain, type Receipt } from '../store/receipts.ts';
import { decode, encode, readJson } from '../store/records.ts';
import { casUpdate } from '../store/cas.ts';
import { isoHour } from '../vocabulary/time.ts';

export interface ForgetResult {
  /** The receipts of the sources forgotten (as they were before). */
  sources: Receipt[];
  /** Hours whose rollup was rebuilt without them. */
  hours: number;
  /** Events no longer counted (what only the forgotten sources held). */
  removed: number;
}

/**
 * Forgets sources: every hour they contributed to is rebuilt from the event parts of the sources
 * it still lists (store/event-parts.ts), so an event another source also brought stays counted,
 * and the receipt says `forgotten` — after which the same file is read again when it comes again,
 * as a new generation of the source (`ingest --reprocess`). Rollups first, receipts last, as in
 * ingestion: an interrupted forget is finished by running it again. A concurrent ingestion's
 * merge makes the rebuild's conditional write fail, and the hour is rebuilt again with it.
 */
export async function forgetSources(
  store: ObjectStore,
  tenant: string,
  sourceIds: readonly string[],
  cas: CasOptions,
  onHour: (done: number, total: number) => void = () => {},
): Promise<ForgetResult> {
  const receipts: Receipt[] = [];
  for (const id of new Set(sourceIds)) {
    const r = await readJson(store, receiptKey(tenant, id), RECEIPT);
    if (!r)
      throw new UsageError('UNKNOWN_SOURCE', `tenant "${tenant}" has no source ${id} (receipts are under results/sources/${tenant}/)`);
    receipts.push(r);
  }
  const ids = new Set(receipts.map((r) => r.sourceId));
  const forget = (marker: string) => ids.has(parseMarker(marker)?.sourceId ?? '');
  const hours = await hoursOf(store, tenant, receipts);
  const parts = new PartCache(store, tenant);
  let removed = 0;
  let done = 0;
  for (const hour of [...hours].sort((a, b) => a - b)) {
    removed += await rebuildHour(store, tenant, hour, forget, parts, cas);
    onHour(++done, hours.size);
  }
  const at = cas.clock.now().toISOString();
  for (const r of receipts) {
    if (r.status === 'forgotten') continue;
    await casUpdate(
      store,
      receiptKey(tenant, r.sourceId),
      RECEIPT,
      (current) =>
        current && current.status !== 'forgotten'
          ? {
              ...current,
              status: 'forgotten' as const,
              forgottenAt: at,
              generation: current.generation ?? 0,
              reason: `forgotten at ${at}: its events were taken out of ${hours.size} hour(s); ingest the file again to count it again`,
            }
          : null,
      cas,
    );
  }
  return { sources: receipts, hours: hours.size, removed };
}

/** The hours a source's parts hold events of (a rejected or empty source has none). */
async function hoursOf(store: ObjectStore, tenant: string, receipts: Receipt[]): Promise<Set<number>> {
  const hours = new Set<number>();
  for (const r of receipts) {
    if (r.status === 'forgotten' || (readAgain(r) && r.counted === 0 && r.status !== 'partial')) continue;
    let found = false;
    for await (const o of store.list(eventPartPrefix(tenant, r.sourceId))) {
      const m = /\/g(\d+)-p(\d+)\.bin\.gz$/.exec(o.key);
      if (!m || Number(m[1]) !== (r.generation ?? 0)) continue;
      const part = await readPart(store, tenant, partMarker(r.sourceId, Number(m[1]), Number(m[2])));
      for (const h of part?.keys() ?? []) hours.add(h);
      found = true;
    }
    if (!found && r.counted + r.alreadyCounted > 0) throw withoutEvents(r.sourceId, r.file ?? r.key);
  }
  return hours;
}

const withoutEvents = (marker: string, what: string) =>
  new SourceHistoryError(
    'SOURCE_WITHOUT_EVENTS',
    `${what} (source ${marker}) was ingested before mailflow kept each source's events, so what it counted cannot be taken out alone: purge the tenant (mailflow purge) and ingest its exports again`,
  );

/** Parts read once for all the hours they span, a few at a time (a part is ~5 MB decoded). */
class PartCache {
  private readonly parts = new Map<string, Map<number, HourBatch> | null>();
  private readonly store: ObjectStore;
  private readonly tenant: string;

  constructor(store: ObjectStore, tenant: string) {
    this.store = store;
    this.tenant = tenant;
  }

  async get(marker: string): Promise<Map<number, HourBatch> | null> {
    if (this.parts.has(marker)) return this.parts.get(marker)!;
    const part = await readPart(this.store, this.tenant, marker);
    if (this.parts.size >= 16) this.parts.delete(this.parts.keys().next().value!);
    this.parts.set(marker, part);
    return part;
  }
}

const total = (r: HourlyRollup) => Object.values(r.totals).reduce((a, b) => a + b, 0);

/** Rebuilds one hour's rollup from the parts of the sources it keeps; returns the events that went. */
async function rebuildHour(
  store: ObjectStore,
  tenant: string,
  hour: number,
  forget: (marker: string) => boolean,
  parts: PartCache,
  cas: CasOptions,
): Promise<number> {
  const key = rollupKey(tenant, hour);
  const deadline = cas.clock.now().getTime() + cas.budgetMs;
  for (let attempt = 1; ; attempt++) {
    const current = await store.get(key);
    if (!current) return 0;
    const rollup = decode(current.body, key, ROLLUP);
    if (!rollup.sources.some(forget)) {
      await syncSummary(store, rollup, cas); // an earlier, interrupted forget may have stopped before it
      return 0;
    }
    let rebuilt: HourlyRollup | null = null;
    for (const marker of rollup.sources.filter((m) => !forget(m)).sort()) {
      const batch = (await parts.get(marker))?.get(hour);
      if (!batch) throw withoutEvents(marker, `an upload counted in ${isoHour(hour)}`);
      rebuilt = mergeBatch(rebuilt, batch, tenant, marker).rollup;
    }
    const next: HourlyRollup = {
      ...(rebuilt ?? {
        schema: 1,
        tenant,
        hour: isoHour(hour),
        sources: [],
        totals: emptyTotals(),
        groups: [],
        fingerprints: new U64Table(0).encode(),
      }),
      version: rollup.version + 1,
    };
    try {
      await store.putIfMatch(key, encode(next), current.etag);
      await syncSummary(store, next, cas);
      return total(rollup) - total(next);
    } catch (err) {
      if (!(err instanceof PreconditionFailedError) || cas.clock.now().getTime() >= deadline) throw err;
      await cas.clock.sleep(Math.random() * Math.min(1000, 10 * 2 ** Math.min(attempt, 7)));
    }
  }
}
