import { TextKeeper } from '../vocabulary/text.ts';
import { DAY } from '../vocabulary/time.ts';
/** A set of u32 (open addressing); 0 is stored as 1. */
class U32Set {
  private keys = new Uint32Array(1024);
  private mask = 1023;
  size = 0;

  add(v: number): void {
    if ((this.size + 1) * 2 > this.keys.length) this.grow();
    const x = v === 0 ? 1 : v;
    let i = Math.imul(x, 0x9e3779b1) & this.mask;
    while (this.keys[i] !== 0) {
      if (this.keys[i] === x) return;
      i = (i + 1) & this.mask;
    }
    this.keys[i] = x;
    this.size++;
  }

  has(v: number): boolean {
    const x = v === 0 ? 1 : v;
    let i = Math.imul(x, 0x9e3779b1) & this.mask;
    while (this.keys[i] !== 0) {
      if (this.keys[i] === x) return true;
      i = (i + 1) & this.mask;
    }
    return false;
  }

  private grow(): void {
    const old = this.keys;
    this.keys = new Uint32Array(old.length * 2);
    this.mask = this.keys.length - 1;
    this.size = 0;
    for (const v of old) if (v !== 0) this.add(v);
  }
}

/**
 * Final outcomes by the high 32 bits of their message hash, as they come, 4 bytes each: half the
 * memory of full hashes, and a false match (which would end a deferral early) has odds of ~1 in
 * 8,000 per open deferral even with 550,000 finals in one file. Only messages with an open
 * deferral (at most a few hundred thousand) are ever looked up, all at once at the end, so `among`
 * scans the finals once against them: a table of every final would be twice the size, three
 * times while it grows (48 MB for the 3.7 million finals of a 2 GB export, against 15).
 */
class U32Log {
  private readonly full: Uint32Array[] = [];
  private chunk = new Uint32Array(LOG_CHUNK);
  private used = 0;
  size = 0;

  add(v: number): void {
    if (this.used === LOG_CHUNK) {
      this.full.push(this.chunk);
      this.chunk = new Uint32Array(LOG_CHUNK);
      this.used = 0;
    }
    this.chunk[this.used++] = v;
    this.size++;
  }

  /** The members of `wanted` that were added. */
  among(wanted: U32Set): U32Set {
    const found = new U32Set();
    if (wanted.size === 0) return found;
    const scan = (values: Uint32Array, n: number) => {
      for (let i = 0; i < n; i++) if (wanted.has(values[i]!)) found.add(values[i]!);
    };
    for (const values of this.full) scan(values, LOG_CHUNK);
    scan(this.chunk, this.used);
    return found;
  }
}

const LOG_CHUNK = 16_384;

/**
 * Open deferrals: messages (message key + recipient) deferred without a final outcome yet, per
 * tenant, in `state/deferrals/<tenant>.json`. The `stuck` rule (deferred longer than N hours) and
 * the `queue` rule (Microsoft's "messages queued over an hour") are computed from it. An entry goes
 * when a final outcome (delivered, failed, expired, filtered) for its message arrives, and after 48
 * hours without news (Exchange itself gives up after 24).
 */
export interface DeferralEntry {
  /** The 64-bit hash of message key and recipient, as two u32 halves. */
  hi: number;
  lo: number;
  first: number;
  last: number;
  code: string | null;
  destination: string | null;
  connector: string | null;
}

export interface DeferralState {
  tenant: string;
  /**
   * The tenant's data clock: the end of the latest hour any upload reached. Rules are evaluated
   * as of it, so an upload of older data never moves incidents back in time.
   */
  asOf: number;
  /** One per message and recipient (hash), in the order they were first deferred. */
  entries: DeferralEntry[];
  /**
   * Open deferrals left out because the tenant had more than MAX_OPEN_DEFERRALS (the newest are
   * dropped, the longest-deferred kept): how many, and the clock when the last were. While set,
   * stuck and queue values are lower bounds. Cleared once every dropped one would have been pruned.
   */
  dropped?: { count: number; at: number } | null;
}

export const PRUNE_AFTER_MS = 2 * DAY;

/**
 * Open deferrals kept per tenant. A real queue holds a few thousand; an outage naming hundreds of
 * thousands of destinations must not make the state (read and written by every upload) grow with
 * it: 50,000 entries store in ~3 MB. The longest-deferred are the ones the stuck rule needs.
 */
export const MAX_OPEN_DEFERRALS = 50_000;

/** "high:low", the order ties are broken in (and schema 1's key). */
export const hashKey = (e: { hi: number; lo: number }): string => `${e.hi}:${e.lo}`;

/**
 * The entries beyond `max`, newest `first` first out; ties by hashKey as text, so any order of
 * uploads keeps the same ones. A tenant at the cap is here at every upload: only the times are
 * sorted, and only the entries of the boundary time by key.
 */
function beyond(entries: readonly DeferralEntry[], max: number): Set<DeferralEntry> {
  if (entries.length <= max) return new Set();
  const firsts = Float64Array.from(entries, (e) => e.first).sort();
  const boundary = firsts[max - 1]!;
  let before = 0;
  while (firsts[before]! < boundary) before++;
  const ties = entries
    .filter((e) => e.first === boundary)
    .map((e) => [hashKey(e), e] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const out = new Set(entries.filter((e) => e.first > boundary));
  for (const [, e] of ties.slice(max - before)) out.add(e);
  return out;
}

/**
 * One upload's open deferrals by message hash: an open-addressing index over the hash's halves,
 * because a busy day's retries look an entry up ~100,000 times and a string key `hi:lo` made for
 * each lookup was most of the tracker's time. Entries are columns (times as doubles, texts as
 * numbers into `texts`), not an object each: a 2 GB export opens hundreds of thousands, which as
 * objects survived into the old generation and were marked by every collection (GC took ~350 ms
 * more with tracking than without).
 */
const MAX_SHARED_TEXTS = 10_000;

class DeferralsByHash {
  private slots = new Int32Array(1024); // entry number + 1; 0 = empty
  private his = new Uint32Array(512);
  private los = new Uint32Array(512);
  private firsts = new Float64Array(512);
  private lasts = new Float64Array(512);
  /** code, destination, connector of each entry: 1-based into `texts`, 0 for none. */
  private refs = new Int32Array(3 * 512);
  private readonly texts: Array<string> = [];
  private readonly textIds = new Map<string, number>();
  private readonly keeper = new TextKeeper();
  size = 0;

  /** The entry's number, or -1. */
  indexOf(hi: number, lo: number): number {
    return this.slots[this.find(hi, lo)]! - 1;
  }

  /** A new deferral (its hash is not there yet). */
  add(hi: number, lo: number, time: number, code: string | null, destination: string | null, connector: string | null): void {
    if ((this.size + 1) * 2 > this.slots.length) this.rehash(this.slots.length * 2);
    if (this.size === this.his.length) this.growColumns();
    const i = this.size++;
    this.his[i] = hi;
    this.los[i] = lo;
    this.firsts[i] = time;
    this.lasts[i] = time;
    this.refs[3 * i] = this.ref(code);
    this.refs[3 * i + 1] = this.ref(destination);
    this.refs[3 * i + 2] = this.ref(connector);
    this.slots[this.find(hi, lo)] = i + 1;
  }

  /** Another event of entry `i`: the span grows, and the latest attempt's texts are kept. */
  retry(i: number, time: number, code: string | null, destination: string | null, connector: string | null): void {
    if (time < this.firsts[i]!) this.firsts[i] = time;
    if (time < this.lasts[i]!) return;
    this.lasts[i] = time;
    // A retry names the same destination as the last one, mostly: nothing to look up then.
    this.replace(3 * i, code);
    this.replace(3 * i + 1, destination);
    this.replace(3 * i + 2, connector);
  }

  private replace(r: number, text: string | null): void {
    if (text !== null && text !== this.text(this.refs[r]!)) this.refs[r] = this.ref(text);
  }

  entry(i: number): DeferralEntry {
    const r = 3 * i;
    return {
      hi: this.his[i]!,
      lo: this.los[i]!,
      first: this.firsts[i]!,
      last: this.lasts[i]!,
      code: this.text(this.refs[r]!),
      destination: this.text(this.refs[r + 1]!),
      connector: this.text(this.refs[r + 2]!),
    };
  }

  get(hi: number, lo: number): DeferralEntry | undefined {
    const i = this.indexOf(hi, lo);
    return i < 0 ? undefined : this.entry(i);
  }

  /** Every entry, in the order they were added (made on each call). */
  get all(): DeferralEntry[] {
    return Array.from({ length: this.size }, (_, i) => this.entry(i));
  }

  /** Keeps only the entries whose numbers `keep` says; the others' hash high halves are returned. */
  retain(keep: (i: number) => boolean): number[] {
    const removed: number[] = [];
    let j = 0;
    for (let i = 0; i < this.size; i++) {
      if (!keep(i)) {
        removed.push(this.his[i]!);
        continue;
      }
      this.his[j] = this.his[i]!;
      this.los[j] = this.los[i]!;
      this.firsts[j] = this.firsts[i]!;
      this.lasts[j] = this.lasts[i]!;
      this.refs.copyWithin(3 * j, 3 * i, 3 * i + 3);
      j++;
    }
    this.size = j;
    this.rehash(this.slots.length);
    // Only the texts the kept entries name stay.
    const texts = this.texts.splice(0);
    const moved = new Map<number, number>();
    this.textIds.clear();
    for (let r = 0; r < 3 * j; r++) {
      const id = this.refs[r]!;
      if (id === 0) continue;
      let to = moved.get(id);
      if (to === undefined) {
        const text = texts[id - 1]!;
        moved.set(id, (to = this.texts.push(text)));
        if (this.textIds.size < MAX_SHARED_TEXTS) this.textIds.set(text, to);
      }
      this.refs[r] = to;
    }
    return removed;
  }

  private ref(text: string | null): number {
    if (text === null) return 0;
    let id = this.textIds.get(text);
    if (id === undefined) {
      const own = this.keeper.keep(text);
      id = this.texts.push(own);
      // Shared up to MAX_SHARED_TEXTS: an outage naming 500,000 destinations then holds one text per
      // entry, as objects did, and a trim (retain) lets go of those of the entries it drops.
      if (this.textIds.size < MAX_SHARED_TEXTS) this.textIds.set(own, id);
    }
    return id;
  }

  private text(id: number): string | null {
    return id === 0 ? null : this.texts[id - 1]!;
  }

  private growColumns(): void {
    const n = this.his.length * 2;
    const grow = <T extends Uint32Array | Float64Array | Int32Array>(old: T, make: new (n: number) => T, width = 1): T => {
      const next = new make(n * width);
      next.set(old);
      return next;
    };
    this.his = grow(this.his, Uint32Array);
    this.los = grow(this.los, Uint32Array);
    this.firsts = grow(this.firsts, Float64Array);
    this.lasts = grow(this.lasts, Float64Array);
    this.refs = grow(this.refs, Int32Array, 3);
  }

  private find(hi: number, lo: number): number {
    const mask = this.slots.length - 1;
    let slot = (lo ^ Math.imul(hi, 0x9e3779b1)) & mask;
    for (;;) {
      const n = this.slots[slot]!;
      if (n === 0 || (this.his[n - 1] === hi && this.los[n - 1] === lo)) return slot;
      slot = (slot + 1) & mask;
    }
  }

  private rehash(capacity: number): void {
    this.slots = new Int32Array(capacity);
    for (let i = 0; i < this.size; i++) this.slots[this.find(this.his[i]!, this.los[i]!)] = i + 1;
  }
}

/** What one upload says about deferrals: new or longer deferrals, and messages that ended. */
export class DeferralTracker {
  readonly deferred = new DeferralsByHash();
  readonly finals = new U32Log();
  /** Messages whose deferral this upload left out to stay within memory (see MAX_OPEN_DEFERRALS). */
  private readonly droppedSet = new U32Set();

  get dropped(): number {
    return this.droppedSet.size;
  }

  /** `hi`/`lo` are the message hash FileAggregator computes anyway. */
  add(
    hi: number,
    lo: number,
    outcome: string,
    time: number,
    code: string | null,
    destination: string | null,
    connector: string | null,
  ): void {
    if (outcome === 'deferred') {
      const { deferred } = this;
      const i = deferred.indexOf(hi, lo);
      if (i >= 0) return deferred.retry(i, time, code, destination, connector);
      deferred.add(hi, lo, time, code, destination, connector);
      // Trimmed in batches, so a file with millions of distinct deferrals holds at most twice the cap.
      if (deferred.size > 2 * MAX_OPEN_DEFERRALS) {
        const all = deferred.all;
        const out = beyond(all, MAX_OPEN_DEFERRALS);
        for (const h of deferred.retain((j) => !out.has(all[j]!))) this.droppedSet.add(h);
      }
    } else if (outcome !== 'other') this.finals.add(hi);
  }

  get empty(): boolean {
    return this.deferred.size === 0 && this.finals.size === 0 && this.dropped === 0;
  }
}

/**
 * Merges an upload's deferrals into the tenant's state (pure: `current` and the tracker are left
 * as they were, entries that do not change are shared); null when nothing changes.
 */
export function mergeDeferrals(
  current: DeferralState | null,
  tracker: DeferralTracker,
  tenant: string,
  asOf: number,
  notAfter = Infinity,
): DeferralState | null {
  // Forward only, and never past `notAfter` (the wall clock and a little): a clock that got ahead
  // (a row dated in the future, before rows were checked) is brought back.
  const clock = Math.min(Math.max(current?.asOf ?? 0, asOf), notAfter);
  let changed = !current || clock !== current.asOf;
  const news = tracker.deferred;
  const known = new Uint8Array(news.size);
  const merged: DeferralEntry[] = [];
  for (const old of current?.entries ?? []) {
    const i = news.indexOf(old.hi, old.lo);
    const e = i < 0 ? undefined : news.entry(i);
    if (i >= 0) known[i] = 1;
    if (!e || (e.first >= old.first && e.last <= old.last)) merged.push(old);
    else {
      const newer = e.last >= old.last ? e : old;
      merged.push({
        hi: old.hi,
        lo: old.lo,
        first: Math.min(old.first, e.first),
        last: Math.max(old.last, e.last),
        code: newer.code,
        destination: newer.destination,
        connector: newer.connector,
      });
      changed = true;
    }
  }
  for (let i = 0; i < news.size; i++) {
    if (known[i]) continue;
    merged.push(news.entry(i));
    changed = true;
  }
  // A final outcome ends the message's deferral, whichever upload it came in.
  const open = new U32Set();
  for (const e of merged) open.add(e.hi);
  const ended = tracker.finals.among(open);
  let entries = merged.filter((e) => !ended.has(e.hi) && e.last >= clock - PRUNE_AFTER_MS);
  if (entries.length !== merged.length) changed = true;
  let dropped = current?.dropped && clock - current.dropped.at <= PRUNE_AFTER_MS ? current.dropped : null;
  if (dropped !== (current?.dropped ?? null)) changed = true;
  const out = beyond(entries, MAX_OPEN_DEFERRALS);
  if (out.size > 0) entries = entries.filter((e) => !out.has(e));
  if (out.size + tracker.dropped > 0) {
    dropped = { count: (dropped?.count ?? 0) + out.size + tracker.dropped, at: clock };
    changed = true;
  }
  return changed ? { tenant, asOf: clock, entries, dropped } : null;
}

/** Messages deferred for longer than `olderThanMs` at `asOf`, grouped by the given fields. */
export function stuckCounts(
  state: DeferralState | null,
  asOf: number,
  olderThanMs: number,
  groupBy: Array<'destination' | 'connector' | 'code' | 'tenant'>,
): Array<{ group: Record<string, string | null>; value: number; topCode: string | null }> {
  const groups = new Map<string, { group: Record<string, string | null>; value: number; codes: Map<string, number> }>();
  const tenant = state?.tenant ?? null;
  const value = (e: DeferralEntry, f: (typeof groupBy)[number]) => (f === 'tenant' ? tenant : e[f]);
  for (const e of state?.entries ?? []) {
    if (e.first > asOf || asOf - e.first <= olderThanMs) continue;
    // The group's key is its values, each as "-" for none or its length, ":" and itself (so no
    // text can pass for two), not JSON of a new object: this runs for every open deferral (up to
    // 50,000) of every rule.
    let key = '';
    for (const f of groupBy) {
      const v = value(e, f);
      key += v === null ? '-' : `${v.length}:${v}`;
    }
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { group: Object.fromEntries(groupBy.map((f) => [f, value(e, f)])), value: 0, codes: new Map() }));
    g.value++;
    if (e.code) g.codes.set(e.code, (g.codes.get(e.code) ?? 0) + 1);
  }
  return [...groups.values()].map((g) => ({
    group: g.group,
    value: g.value,
    topCode: [...g.codes.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? null,
  }));
}
