import type { Category, Owner } from '../classify/types.ts';
import type { CountedOutcome } from '../vocabulary/outcomes.ts';
import { storable } from '../vocabulary/text.ts';
import type { AliasLearner } from './destination-aliases.ts';
import { isProblem } from '../vocabulary/outcomes.ts';
import { hourStart, isoHour } from '../vocabulary/time.ts';
import type { DeferralTracker } from './deferrals.ts';
import { hashPair, hashWords } from '../vocabulary/hash64.ts';
import { encodedSize, U64Table } from './u64-set.ts';
import type { DeliveryEvent } from '../classify/types.ts';

/**
 * Hourly rollups: one per tenant and UTC hour, the authoritative count of what happened.
 * A rollup remembers the sources and the event fingerprints it holds, so the same upload twice,
 * or two exports that overlap in time, never count an event twice. `other` events (Receive,
 * Expand, internal hops) are not counted: they say nothing about delivery.
 */

export interface GroupFields {
  outcome: CountedOutcome;
  code: string | null;
  category: Category | null;
  owner: Owner | null;
  connector: string | null;
  /** Destination server name, or its IP when the name is unknown. */
  destination: string | null;
  /** Recipient domain. */
  domain: string;
}

export interface SummaryGroup extends GroupFields {
  events: number;
  /** Distinct message-and-recipient keys within the hour. */
  messages: number;
  /**
   * For deferrals, failures and expiries: those keys (wire-form u64 set), so the messages of a
   * range are a union, exact however many hours a message was retried in. Delivered and filtered
   * messages have one final outcome each, so their hourly counts add up; their sets (90 % of all)
   * stay in the rollup.
   */
  pairs?: string;
  /**
   * Read side only, never stored: the addresses the tenant's alias table knows for `destination`
   * (aggregate/destination-aliases.ts), so a trace summary's `ToIP` finds its host's events.
   */
  addresses?: string[];
}

export interface RollupGroup extends SummaryGroup {
  /** The message-and-recipient hashes behind `messages` (wire-form u64 set). */
  messageSet: string;
}

export interface HourlyRollup {
  schema: 1;
  tenant: string;
  /** Start of the UTC hour, ISO (`2026-11-20T10:00:00Z`). */
  hour: string;
  /** Incremented on every write; summaries are stamped with it. */
  version: number;
  sources: string[];
  totals: Record<CountedOutcome, number>;
  groups: RollupGroup[];
  /** Fingerprints (message key + recipient + time + outcome + code) of every counted event. */
  fingerprints: string;
}

/** The small derived summary that queries read: counts only, stamped with the rollup version. */
export interface HourlySummary {
  schema: 1;
  tenant: string;
  hour: string;
  rollupVersion: number;
  sources: number;
  totals: Record<CountedOutcome, number>;
  groups: SummaryGroup[];
  /**
   * Read side only: `day` when this is a whole day's summary merged (aggregate/day-summary.ts),
   * which readers get for ranges that cover whole days and do not group by hour.
   */
  span?: 'day';
}

/**
 * Groups one tenant's hour may hold. Real hours have hundreds to a few thousand; an outage or a
 * crafted export naming hundreds of thousands of destinations or domains would otherwise make the
 * rollup (kept in memory, read and written per upload) grow with it. Past the cap, new groups keep
 * their outcome, code, category and owner, and their destination, domain and connector become
 * these markers (parentheses cannot occur in a host or domain name), so every event still counts.
 */
export const MAX_GROUPS_PER_HOUR = 20_000;
export const MORE = { destination: '(more destinations)', domain: '(more domains)', connector: '(more connectors)' } as const;

const folded = (g: GroupFields): GroupFields => ({ ...g, ...MORE });

function groupKey(g: GroupFields): string {
  return `${g.outcome}\u0001${g.code ?? ''}\u0001${g.category ?? ''}\u0001${g.owner ?? ''}\u0001${g.connector ?? ''}\u0001${g.destination ?? ''}\u0001${g.domain}`;
}

/** An event's own group fields (as read, before storable(); the domain is the list's) and the group they were found in. */
interface FieldsSeen extends Omit<GroupFields, 'domain'> {
  g: number;
}

/**
 * Field sets remembered per domain. A domain's events fall into a few groups an hour (outcome, code,
 * destination); one with more (a domain behind many servers) finds the rest by its whole key.
 */
const FIELDS_PER_DOMAIN = 16;

/**
 * The group of an event whose domain was seen: compared field by field, so the common case builds
 * no key string per event (that string, made and hashed a million times, was most of `add`).
 */
function sameFields(known: FieldsSeen[], e: DeliveryEvent, destination: string | null): number | undefined {
  for (let k = 0; k < known.length; k++) {
    const f = known[k]!;
    if (
      f.outcome === e.outcome &&
      f.code === e.code &&
      f.destination === destination &&
      f.connector === e.connector &&
      f.category === e.category &&
      f.owner === e.owner
    )
      return f.g;
  }
  return undefined;
}

/** One file's counted events for one hour, before they are merged into the rollup. */
export class HourBatch {
  readonly hour: number;
  readonly groups: GroupFields[] = [];
  private readonly groupIndex = new Map<string, number>();
  /** Per recipient domain, the event fields its groups were found by (see sameFields). */
  private readonly byDomain = new Map<string, FieldsSeen[]>();
  n = 0;
  fpHi = new Uint32Array(64);
  fpLo = new Uint32Array(64);
  msgHi = new Uint32Array(64);
  msgLo = new Uint32Array(64);
  grp = new Uint32Array(64);
  /** Fingerprints in this batch: a row repeated in the file is one event (counted in `repeated`). */
  private readonly seen = new U64Table(64);
  repeated = 0;

  constructor(hour: number) {
    this.hour = hour;
  }

  /** A batch as a stored part holds it (store/event-parts.ts): its groups and five columns of `n` events. */
  static from(
    hour: number,
    groups: GroupFields[],
    columns: Record<'fpHi' | 'fpLo' | 'msgHi' | 'msgLo' | 'grp', Uint32Array<ArrayBuffer>>,
  ): HourBatch {
    const b = new HourBatch(hour);
    b.groups.push(...groups);
    groups.forEach((g, i) => b.groupIndex.set(groupKey(g), i));
    b.n = columns.grp.length;
    b.fpHi = columns.fpHi;
    b.fpLo = columns.fpLo;
    b.msgHi = columns.msgHi;
    b.msgLo = columns.msgLo;
    b.grp = columns.grp;
    return b;
  }

  /** Adds the event; false when the file already had it in this batch (the same row twice). */
  add(e: DeliveryEvent & { outcome: CountedOutcome }, fp: Uint32Array, msg: Uint32Array): boolean {
    if (!this.seen.add(fp[0]!, fp[1]!)) {
      this.repeated++;
      return false;
    }
    const destination = e.server ?? e.ip;
    const known = this.byDomain.get(e.recipientDomain);
    let g = known ? sameFields(known, e, destination) : undefined;
    if (g === undefined) g = this.slowGroup(e, destination, known);
    if (this.n === this.grp.length) this.grow();
    const i = this.n++;
    this.fpHi[i] = fp[0]!;
    this.fpLo[i] = fp[1]!;
    this.msgHi[i] = msg[0]!;
    this.msgLo[i] = msg[1]!;
    this.grp[i] = g;
    return true;
  }

  /** The group by its whole key (a string built for it): for an event whose fields the domain's short list does not hold. */
  private slowGroup(e: DeliveryEvent & { outcome: CountedOutcome }, destination: string | null, known: FieldsSeen[] | undefined): number {
    const key = `${e.outcome}\u0001${e.code ?? ''}\u0001${e.category ?? ''}\u0001${e.owner ?? ''}\u0001${e.connector ?? ''}\u0001${destination ?? ''}\u0001${e.recipientDomain}`;
    let g = this.groupIndex.get(key);
    // Past the cap the event's own key is not remembered, or the index would grow with the file.
    const remembered = g !== undefined || this.groups.length < MAX_GROUPS_PER_HOUR;
    if (g === undefined) {
      let fields: GroupFields = {
        outcome: e.outcome,
        code: e.code,
        category: e.category,
        owner: e.owner,
        // Sanitized once per group, not per event: groups are few, events are many.
        connector: storable(e.connector),
        destination: storable(destination),
        domain: storable(e.recipientDomain),
      };
      const full = this.groups.length >= MAX_GROUPS_PER_HOUR;
      if (full) {
        fields = folded(fields);
        g = this.groupIndex.get(groupKey(fields));
      }
      if (g === undefined) {
        g = this.groups.length;
        this.groups.push(fields);
        this.groupIndex.set(groupKey(fields), g);
      }
      if (remembered) this.groupIndex.set(key, g);
    }
    if (remembered) {
      const seen: FieldsSeen = {
        outcome: e.outcome,
        code: e.code,
        category: e.category,
        owner: e.owner,
        connector: e.connector,
        destination,
        g,
      };
      if (!known) this.byDomain.set(e.recipientDomain, [seen]);
      else if (known.length < FIELDS_PER_DOMAIN) known.push(seen);
    }
    return g;
  }

  private grow(): void {
    const size = this.grp.length * 2;
    const re = (a: Uint32Array) => {
      const b = new Uint32Array(size);
      b.set(a);
      return b;
    };
    this.fpHi = re(this.fpHi);
    this.fpLo = re(this.fpLo);
    this.msgHi = re(this.msgHi);
    this.msgLo = re(this.msgLo);
    this.grp = re(this.grp);
  }
}

const OUTCOME_ID: Record<CountedOutcome, number> = { delivered: 1, deferred: 2, failed: 3, expired: 4, filtered: 5 };

/** Collects a file's events into hour batches as they are read. */
export class FileAggregator {
  readonly hours = new Map<number, HourBatch>();
  private last: HourBatch | null = null;
  private readonly fp = new Uint32Array(2);
  private readonly msg = new Uint32Array(2);
  private readonly words = new Uint32Array(6);
  private readonly codeIds = new Map<string, number>();
  /** Deferrals and final outcomes, for the stuck and queue rules (only when alerts are on). */
  private readonly deferrals: DeferralTracker | undefined;
  counted = 0;
  /** Rows repeated within this part of the file (same message, recipient, time, outcome and code). */
  repeated = 0;

  /** Addresses and the host names they answered as (when the upload's aliases are learned). */
  private readonly aliases: AliasLearner | undefined;

  constructor(deferrals?: DeferralTracker, aliases?: AliasLearner) {
    this.deferrals = deferrals;
    this.aliases = aliases;
  }

  /** One event; with `messageHash`, hashPair(e.messageKey, e.recipient) as its reader worked it out (the two are not read then). */
  add(e: DeliveryEvent, messageHash?: Uint32Array): void {
    if (e.outcome === 'other') return;
    const h = hourStart(e.time);
    let batch = this.last;
    if (!batch || batch.hour !== h) {
      batch = this.hours.get(h) ?? null;
      if (!batch) {
        batch = new HourBatch(h);
        this.hours.set(h, batch);
      }
      this.last = batch;
    }
    // Fingerprint = hash(message key, recipient) mixed with time, outcome and code. The event
    // enters as its outcome, so `Defer`/`DEFER` or `Send`/`SENDEXTERNAL` of one delivery, seen in
    // two export families, are one event.
    if (messageHash) {
      this.msg[0] = messageHash[0]!;
      this.msg[1] = messageHash[1]!;
    } else hashPair(e.messageKey, e.recipient, this.msg);
    const w = this.words;
    w[0] = this.msg[0]!;
    w[1] = this.msg[1]!;
    w[2] = e.time % 4294967296;
    w[3] = Math.floor(e.time / 4294967296);
    w[4] = OUTCOME_ID[e.outcome];
    w[5] = e.code ? this.codeId(e.code) : 0;
    hashWords(w, this.fp);
    if (!batch.add(e as DeliveryEvent & { outcome: CountedOutcome }, this.fp, this.msg)) {
      this.repeated++;
      return;
    }
    this.deferrals?.add(this.msg[0]!, this.msg[1]!, e.outcome, e.time, e.code, e.server ?? e.ip, e.connector);
    if (e.namedTogether) this.aliases?.learn(e.ip!, e.server!);
    this.counted++;
  }

  private codeId(code: string): number {
    let id = this.codeIds.get(code);
    if (id === undefined) {
      // Stable across files and processes: derived from the code's text, not from arrival order.
      const h = new Uint32Array(2);
      hashPair(code, '', h);
      id = h[0]!;
      this.codeIds.set(code, id);
    }
    return id;
  }
}

export function emptyTotals(): Record<CountedOutcome, number> {
  return { delivered: 0, deferred: 0, failed: 0, expired: 0, filtered: 0 };
}

export interface MergeResult {
  rollup: HourlyRollup;
  /** Events of the batch that were new to the rollup. */
  added: number;
  /** False when the rollup already held this source: nothing to write. */
  changed: boolean;
}

/**
 * Merges one file's batch into an hour's rollup (pure: returns a new rollup). Events whose
 * fingerprint the rollup holds already, from this or any other source, are not counted again.
 */
export function mergeBatch(current: HourlyRollup | null, batch: HourBatch, tenant: string, sourceId: string): MergeResult {
  if (current?.sources.includes(sourceId)) return { rollup: current, added: 0, changed: false };
  const fps = current ? U64Table.decode(current.fingerprints) : new U64Table(batch.n);
  const totals = current ? { ...current.totals } : emptyTotals();
  interface Acc {
    fields: GroupFields;
    events: number;
    messages: U64Table | null;
    messageSet: string;
    count: number;
  }
  const groups = new Map<string, Acc>();
  for (const g of current?.groups ?? []) {
    const { events, messages, messageSet, ...fields } = g;
    groups.set(groupKey(fields), { fields, events, messages: null, messageSet, count: messages });
  }
  const touched: Array<Acc | undefined> = [];
  let added = 0;
  for (let i = 0; i < batch.n; i++) {
    if (!fps.add(batch.fpHi[i]!, batch.fpLo[i]!)) continue;
    const gi = batch.grp[i]!;
    let acc = touched[gi];
    if (!acc) {
      let fields = batch.groups[gi]!;
      let key = groupKey(fields);
      acc = groups.get(key);
      if (!acc && groups.size >= MAX_GROUPS_PER_HOUR) {
        fields = folded(fields);
        key = groupKey(fields);
        acc = groups.get(key);
      }
      if (!acc) {
        acc = { fields, events: 0, messages: new U64Table(), messageSet: '', count: 0 };
        groups.set(key, acc);
      }
      if (!acc.messages) acc.messages = U64Table.decode(acc.messageSet);
      touched[gi] = acc;
    }
    acc.events++;
    acc.messages!.add(batch.msgHi[i]!, batch.msgLo[i]!);
    totals[acc.fields.outcome]++;
    added++;
  }
  const out: RollupGroup[] = [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, acc]) => ({
      ...acc.fields,
      events: acc.events,
      messages: acc.messages ? acc.messages.size : acc.count,
      messageSet: acc.messages ? acc.messages.encode() : acc.messageSet,
    }));
  return {
    rollup: {
      schema: 1,
      tenant,
      hour: isoHour(batch.hour),
      version: (current?.version ?? 0) + 1,
      sources: [...(current?.sources ?? []), sourceId].sort(),
      totals,
      groups: out,
      fingerprints: fps.encode(),
    },
    added,
    changed: true,
  };
}

export function toSummary(r: HourlyRollup): HourlySummary {
  return {
    schema: 1,
    tenant: r.tenant,
    hour: r.hour,
    rollupVersion: r.version,
    sources: r.sources.length,
    totals: r.totals,
    groups: r.groups.map(({ messageSet, ...g }) => (isProblem(g.outcome) ? { ...g, pairs: messageSet } : g)),
  };
}

/** Counted events in a rollup (for checks and size measurements). */
export function fingerprintCount(r: HourlyRollup): number {
  return encodedSize(r.fingerprints);
}
