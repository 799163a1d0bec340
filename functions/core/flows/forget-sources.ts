import { pairsByDay } from '../aggregate/pair-days.ts';
import { UsageError } from '../errors.ts';
import type { ObjectStore } from '../ports.ts';
import { casUpdate, type CasOptions } from '../store/cas.ts';
import { eventPartMarker, eventPartPrefix, parseMarker, receiptKey } from '../store/layout.ts';
import { recordPairs } from '../store/pair-index.ts';
import { indexReceipt, RECEIPT, readAgain, type Receipt } from '../store/receipts.ts';
import { readJson } from '../store/records.ts';
import { HourRebuilder, hoursToCheck, withoutHistory } from './rebuild-hour.ts';

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
 * as a new generation of the source (`ingest --reprocess`). Their pairs leave the pair index, so
 * status rows their events superseded count again. Rollups first, receipts last, as in ingestion:
 * an interrupted forget is finished by running it again.
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
  const rebuilder = new HourRebuilder(store, tenant, cas);
  const hours = new Set<number>();
  for (const r of receipts) for (const h of await hoursOf(store, tenant, r, rebuilder, cas)) hours.add(h);
  let removed = 0;
  let done = 0;
  for (const hour of [...hours].sort((a, b) => a - b)) {
    removed += await rebuilder.rebuild(hour, forget);
    onHour(++done, hours.size);
  }
  const now = cas.clock.now();
  const at = now.toISOString();
  for (const r of receipts) {
    if (r.status === 'forgotten') continue;
    // The index entry of the forgotten receipt first, as for every rewrite of a receipt (store/receipts.ts).
    const { writtenAt } = await indexReceipt(store, { ...r, status: 'forgotten' }, now);
    await casUpdate(
      store,
      receiptKey(tenant, r.sourceId),
      RECEIPT,
      (current) =>
        current && current.status !== 'forgotten'
          ? {
              ...current,
              status: 'forgotten' as const,
              writtenAt,
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

/**
 * The hours a source's parts hold events of, and the hours of status rows it superseded;
 * its pairs are taken out of the pair index on the way (idempotent: a part's pairs go once).
 */
async function hoursOf(store: ObjectStore, tenant: string, r: Receipt, rebuilder: HourRebuilder, cas: CasOptions): Promise<Set<number>> {
  const hours = new Set<number>();
  if (r.status === 'forgotten' || (readAgain(r) && r.counted === 0 && r.status !== 'partial')) return hours;
  let found = false;
  for await (const o of store.list(eventPartPrefix(tenant, r.sourceId))) {
    const m = eventPartMarker(o.key);
    if (!m || m.generation !== (r.generation ?? 0)) continue;
    const marker = m.marker;
    const part = await rebuilder.part(marker);
    if (!part) continue;
    found = true;
    for (const h of part.hours.keys()) hours.add(h);
    const byDay = pairsByDay(part.hours.values(), part.kind);
    // Its events' superseded status rows, or for a status source the Pending rows its finals superseded.
    for (const h of await hoursToCheck(store, tenant, part.kind, byDay)) hours.add(h);
    for (const [day, pairs] of byDay) await recordPairs(store, tenant, day, marker, part.kind, pairs, cas, true);
  }
  if (!found && r.counted + r.alreadyCounted > 0) throw withoutHistory(r.sourceId, r.file ?? r.key);
  return hours;
}
