import { DeferralTracker } from '../aggregate/deferrals.ts';
import { FileAggregator, type HourBatch } from '../aggregate/rollup.ts';
import { AliasLearner } from '../aggregate/destination-aliases.ts';
import type { DeliveryEvent } from '../classify/types.ts';
import type { ObjectStore } from '../ports.ts';
import type { CasOptions } from '../store/cas.ts';
import { commitDay } from '../store/hourly.ts';
import { dayStart } from '../vocabulary/time.ts';
import { writePart } from '../store/event-parts.ts';
import { pairsByDay, type SourceKind } from '../aggregate/pair-days.ts';
import { recordPairs } from '../store/pair-index.ts';
import { HourRebuilder, hoursToCheck } from './rebuild-hour.ts';
import { partMarker } from '../store/layout.ts';
import { forEachLimit } from '../vocabulary/for-each-limit.ts';
import { recordMonthDays, type MonthDay } from '../store/summary-months.ts';

/**
 * Gathers a file's events and merges them into the hourly rollups in parts, so memory stays flat
 * however large the file. Each part of a large file is its own entry in the rollups' source sets
 * (`<sourceId>#<part>`), so a retry skips exactly the parts already merged. For that, a part must
 * hold the same events in every attempt: parts are cut at exact counts of counted events
 * (`partEvents`), never where the bytes happened to arrive in chunks — a retry that reads the body
 * in other chunks cuts the same parts.
 */
export class PartCommitter {
  /** Events the rollups did not hold yet, and events of this file seen in total. */
  counted = 0;
  seen = 0;
  /** Rows of this file repeated within one part (the same event twice): never counted. */
  repeated = 0;
  /** Status rows (of this file, or of summaries before it) taken out because events of the same messages supersede them. */
  superseded = 0;
  /** Statuses or events: set from the family once the header is read (before the first part is merged). */
  kind: SourceKind = 'events';
  readonly hours = new Set<number>();
  /** Day objects of rollups per number of compare-and-swap attempts they needed. */
  readonly attempts: Record<string, number> = {};
  /** What this upload says about deferrals, for the tenant's deferral state (when alerts run). */
  readonly deferrals: DeferralTracker | undefined;
  /** Addresses of receiving servers and the host names they answered as (for the tenant's alias table). */
  readonly aliases = new AliasLearner();
  private aggregator: FileAggregator;
  /** Full parts, cut in `add`, waiting for `commitFull` (which can wait on I/O; `add` cannot). */
  private readonly full: FileAggregator[] = [];
  private part = 0;

  private readonly store: ObjectStore;
  private readonly tenant: string;
  private readonly cas: CasOptions;
  private readonly dayConcurrency: number;
  private readonly partEvents: number;

  constructor(
    store: ObjectStore,
    tenant: string,
    cas: CasOptions,
    options: { dayConcurrency: number; trackDeferrals: boolean; partEvents: number },
  ) {
    this.store = store;
    this.tenant = tenant;
    this.cas = cas;
    this.dayConcurrency = options.dayConcurrency;
    this.partEvents = options.partEvents;
    this.deferrals = options.trackDeferrals ? new DeferralTracker() : undefined;
    this.aggregator = new FileAggregator(this.deferrals, this.aliases);
  }

  /** One event; `messageHash` when its reader hashed message key and recipient already (readExport's OnEvent). */
  add(event: DeliveryEvent, messageHash?: Uint32Array): void {
    this.aggregator.add(event, messageHash);
    if (this.aggregator.counted < this.partEvents) return;
    this.full.push(this.aggregator);
    this.aggregator = new FileAggregator(this.deferrals, this.aliases);
  }

  /** Full parts cut and not merged yet. */
  get fullParts(): number {
    return this.full.length;
  }

  /** Merges the full parts, in order, as the next parts of `sourceId` (of its `generation`, after a forget). */
  async commitFull(sourceId: string, generation = 0): Promise<void> {
    while (this.full.length) await this.commitPart(this.full.shift()!, sourceId, generation);
  }

  /** At the end of the file: the full parts, then the rest as the last part. */
  async commitAll(sourceId: string, generation = 0): Promise<void> {
    await this.commitFull(sourceId, generation);
    const rest = this.aggregator;
    this.aggregator = new FileAggregator(this.deferrals, this.aliases);
    await this.commitPart(rest, sourceId, generation);
  }

  private async commitPart(part: FileAggregator, sourceId: string, generation: number): Promise<void> {
    const marker = partMarker(sourceId, generation, this.part);
    const batches = [...part.hours.values()].sort((a, b) => a.hour - b.hour);
    this.seen += part.counted;
    this.repeated += part.repeated;
    this.part++;
    if (batches.length === 0) return;
    // The part's events first, then its pairs, then the rollups: whatever a rollup lists can be
    // rebuilt from its parts, and the pair index knows every pair a rollup holds.
    await writePart(this.store, this.tenant, marker, part, this.kind);
    const byDay = pairsByDay(batches, this.kind);
    const newDays = new Set<number>();
    // Each day's index is its own object: several at once (a sparse part spans weeks, and on S3 each
    // day is a read and a conditional write), all of them before any rollup.
    await forEachLimit([...byDay], this.dayConcurrency, async ([day, pairs]) => {
      if (await recordPairs(this.store, this.tenant, day, marker, this.kind, pairs, this.cas)) newDays.add(day);
    });
    // A day's hours are one object, merged in one write; days are independent: several at once.
    const days = new Map<number, HourBatch[]>();
    for (const b of batches) {
      const day = days.get(dayStart(b.hour));
      if (day) day.push(b);
      else days.set(dayStart(b.hour), [b]);
    }
    const dayLines: MonthDay[] = [];
    await forEachLimit([...days.entries()], this.dayConcurrency, async ([day, dayBatches]) => {
      for (const b of dayBatches) this.hours.add(b.hour);
      // The tenant's first pairs of a day: its objects are most likely new, created without a read first.
      const r = await commitDay(this.store, this.tenant, dayBatches, marker, this.cas, { absent: newDays.has(day) });
      this.attempts[r.attempts] = (this.attempts[r.attempts] ?? 0) + 1;
      this.counted += r.added;
      if (r.dayLine) dayLines.push(r.dayLine);
    });
    // The months' copies of the day lines, once all days are written: one write per month, not per day.
    await recordMonthDays(this.store, this.tenant, dayLines, this.cas);
    // After the merge, look at the other kind's pairs: status rows that events of the same messages
    // supersede are taken out (whichever came first; a concurrent upload of the other kind either
    // sees this part's pairs or is seen here: docs/counting-design.md).
    const rebuilder = new HourRebuilder(this.store, this.tenant, this.cas);
    for (const hour of [...(await hoursToCheck(this.store, this.tenant, this.kind, byDay))].sort((a, b) => a - b))
      this.superseded += await rebuilder.rebuild(hour);
  }
}
