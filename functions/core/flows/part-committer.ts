import { DeferralTracker } from '../aggregate/deferrals.ts';
import { FileAggregator } from '../aggregate/rollup.ts';
import type { DeliveryEvent } from '../classify/types.ts';
import type { ObjectStore } from '../ports.ts';
import type { CasOptions } from '../store/cas.ts';
import { commitHour } from '../store/hourly.ts';

/**
 * Gathers a file's events and merges them into the hourly rollups in parts, so memory stays flat
 * however large the file. Each part of a large file is its own entry in the rollups' source sets
 * (`<sourceId>#<part>`), so a retry skips exactly the parts already merged.
 */
export class PartCommitter {
  /** Events the rollups did not hold yet, and events of this file seen in total. */
  counted = 0;
  seen = 0;
  readonly hours = new Set<number>();
  /** Rollups per number of compare-and-swap attempts they needed. */
  readonly attempts: Record<string, number> = {};
  /** What this upload says about deferrals, for the tenant's deferral state (when alerts run). */
  readonly deferrals: DeferralTracker | undefined;
  private aggregator: FileAggregator;
  private part = 0;

  private readonly store: ObjectStore;
  private readonly tenant: string;
  private readonly cas: CasOptions;
  private readonly hourConcurrency: number;

  constructor(store: ObjectStore, tenant: string, cas: CasOptions, options: { hourConcurrency: number; trackDeferrals: boolean }) {
    this.store = store;
    this.tenant = tenant;
    this.cas = cas;
    this.hourConcurrency = options.hourConcurrency;
    this.deferrals = options.trackDeferrals ? new DeferralTracker() : undefined;
    this.aggregator = new FileAggregator(this.deferrals);
  }

  add(event: DeliveryEvent): void {
    this.aggregator.add(event);
  }

  /** Counted events held in memory, not merged yet. */
  get pending(): number {
    return this.aggregator.counted;
  }

  /** Merges what has been gathered as the next part of `sourceId`. */
  async commit(sourceId: string): Promise<void> {
    const marker = this.part === 0 ? sourceId : `${sourceId}#${this.part}`;
    const batches = [...this.aggregator.hours.values()].sort((a, b) => a.hour - b.hour);
    this.seen += this.aggregator.counted;
    this.aggregator = new FileAggregator(this.deferrals);
    this.part++;
    // Hours are independent objects: merge several at once (each store call waits on I/O).
    await forEachLimit(batches, this.hourConcurrency, async (batch) => {
      this.hours.add(batch.hour);
      const r = await commitHour(this.store, this.tenant, batch, marker, this.cas);
      this.attempts[r.attempts] = (this.attempts[r.attempts] ?? 0) + 1;
      this.counted += r.added;
    });
  }
}

/** Runs `fn` over the items with at most `limit` in flight; the first error stops new work and is thrown. */
async function forEachLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const item = items[next++]!;
      try {
        await fn(item);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
