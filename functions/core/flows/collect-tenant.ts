import { GraphAccessError, MailflowError, PreconditionFailedError } from '../errors.ts';
import type { Clock, GraphApi, GraphResponse, Logger, ObjectStore } from '../ports.ts';
import {
  mergeSpans,
  readCollectState,
  saveCollectState,
  subtractSpans,
  type CollectRun,
  type CollectState,
  type OwedDetail,
  type Span,
  type WatchedDetail,
} from '../store/collect-state.ts';
import { graphDetailsKey, graphPageKey } from '../store/layout.ts';
import { outcomeForEvent } from '../formats/event-words.ts';
import { isFinal } from '../vocabulary/outcomes.ts';
import { DAY, HOUR, MINUTE } from '../vocabulary/time.ts';

/**
 * Collects one tenant's message trace from Microsoft Graph into uploads (`incoming/<t>/graph/…`),
 * which ingestion counts like any export: the window in slices of at most 10 days (Graph's limit),
 * page by page, oldest slice first; then detail events for the messages whose status asks for
 * them, oldest first, with what is left of the budget. Every request counts against a per-tenant
 * budget kept across runs (Microsoft allows 100 per 5 minutes per tenant, shared with every other
 * tool and admin); a 429 is waited out as its Retry-After says, a 5xx backed off; when the budget
 * or the time is spent the run saves where it is and ends, and the next one goes on from there.
 */
export interface CollectOptions {
  tenant: string;
  /** Start of the window (ms); default: the hour REREAD before where the last run ended (or its first partial hour); on a first run 24 h back. */
  from?: number;
  /** End of the window (ms); default now. */
  to?: number;
  /** Graph statuses whose messages get their detail events (default failed and pending). */
  details?: readonly string[];
  budget?: { requests: number; windowMs: number };
  /** Rows a page (Graph: 1–5,000). */
  top?: number;
  /** When the run must have saved and ended (ms); a Lambda's timeout less a margin. */
  deadline?: number;
  /** Plan only: say what would be read, call nothing. */
  dryRun?: boolean;
  /** Detail calls owed at most (default MAX_OWED). */
  maxOwed?: number;
}

export interface CollectPorts {
  graph: GraphApi;
  /** Where the collector keeps its state (the data folder, the data bucket). */
  store: ObjectStore;
  /** Hands a file to ingestion: locally written and ingested, deployed written to the upload bucket. */
  deliver(key: string, body: Uint8Array): Promise<void>;
  clock: Clock;
  logger: Logger;
}

export interface CollectResult extends CollectRun {
  tenant: string;
  window: { from: number; to: number };
  slices: Array<{ from: number; to: number }>;
  owed: number;
  state: CollectState;
}

/** Rows of the last 4 hours still change (statuses settle): every run reads them again; ingestion's dedupe makes that free. */
export const REREAD = 4 * HOUR;
export const DEFAULT_BUDGET = { requests: 80, windowMs: 5 * MINUTE };
export const DEFAULT_DETAILS = ['failed', 'pending'] as const;
const SLICE = 10 * DAY;
/** Graph lists traces received within the last 90 days; a minute of margin for clocks. */
const HISTORY = 90 * DAY - MINUTE;
const DETAIL_EVENTS_PER_FILE = 5_000;
/** Detail calls owed at most: about a day of the default budget (80 per 5 minutes is 23,040 a day). */
export const MAX_OWED = 20_000;
/**
 * A message still pending when its detail events were read is read again, after the owed calls,
 * for WATCH_FOR after it was received (Exchange Online gives up on a message within two days; its
 * last attempts then arrive), at most MAX_WATCH at a time: a quarter of its age after the last
 * read, between one and four hours (so a day-old message is read every 4 hours, not 24 times),
 * and at once when its row, read again, has settled.
 */
export const WATCH_FOR = 3 * DAY;
export const MAX_WATCH = 5_000;
const watchDue = (w: WatchedDetail) => w.checked + Math.min(4 * HOUR, Math.max(HOUR, (w.checked - w.received) / 4));
const MAX_5XX_TRIES = 4;

const BASE_PATH = '/v1.0/admin/exchange/tracing/messageTraces';

export function listPath(from: number, to: number, top: number): string {
  const filter = `receivedDateTime ge ${new Date(from).toISOString()} and receivedDateTime le ${new Date(to - 1).toISOString()}`;
  return `${BASE_PATH}?$filter=${encodeURIComponent(filter)}&$top=${top}`;
}

export function detailPath(id: string, recipient: string): string {
  return `${BASE_PATH}/${encodeURIComponent(id)}/getDetailsByRecipient(recipientAddress='${encodeURIComponent(recipient.replaceAll("'", "''"))}')`;
}

class Stop extends Error {
  readonly why: 'budget' | 'throttled' | 'deadline' | 'unavailable';
  constructor(why: Stop['why']) {
    super(why);
    this.why = why;
  }
}

export async function collectTenant(ports: CollectPorts, options: CollectOptions): Promise<CollectResult> {
  const { clock, logger } = ports;
  const now = () => clock.now().getTime();
  const started = now();
  const budget = options.budget ?? DEFAULT_BUDGET;
  const top = options.top ?? 5000;
  const detailStatuses = new Set((options.details ?? DEFAULT_DETAILS).map((s) => s.toLowerCase()));
  const deadline = options.deadline ?? started + 10 * MINUTE;
  const read = await readCollectState(ports.store, options.tenant);
  const state = read.state;
  let etag = read.etag;

  const to = Math.min(options.to ?? started, started);
  // Again from the hour REREAD before the last run's end, and from any hour still partial: partial
  // hours become complete only by being read again once they have settled.
  const again =
    state.doneUntil === null ? null : Math.min(Math.floor((state.doneUntil - REREAD) / HOUR) * HOUR, state.partial[0]?.[0] ?? Infinity);
  // A slice a run was in the middle of comes first (unless an explicit window was asked for), then
  // everything after it.
  const resume = options.from === undefined ? state.inProgress : null;
  let from = options.from ?? resume?.from ?? again ?? to - DAY;
  if (from < started - HISTORY) {
    logger.warn('Graph keeps 90 days of message trace: the window starts at the oldest it has', { asked: new Date(from).toISOString() });
    from = started - HISTORY;
  }
  const slices: Array<{ from: number; to: number }> = [];
  if (resume) slices.push({ from: resume.from, to: resume.to });
  for (let s = Math.max(from, resume?.to ?? from); s < to; s += SLICE) slices.push({ from: s, to: Math.min(s + SLICE, to) });

  const run: CollectRun = { at: started, requests: 0, pages: 0, rows: 0, details: 0, detailEvents: 0, stopped: 'done' };
  const result = (): CollectResult => ({ ...run, tenant: options.tenant, window: { from, to }, slices, owed: state.owed.length, state });
  if (options.dryRun) {
    run.stopped = 'dry-run';
    return result();
  }

  const save = async () => {
    state.requests = state.requests.filter((t) => t > now() - budget.windowMs);
    try {
      etag = await saveCollectState(ports.store, state, etag);
    } catch (err) {
      if (err instanceof PreconditionFailedError)
        throw new MailflowError(
          'COLLECT_CONCURRENT',
          `another collection of ${options.tenant} saved its state meanwhile; this run stops so the two do not double their requests`,
        );
      throw err;
    }
  };

  /** One GET within the budget: 429 waited out, 5xx backed off; 401/403 explained. */
  const get = async (path: string, notFoundOk = false): Promise<GraphResponse> => {
    for (let tries = 1; ; tries++) {
      const t = now();
      if (t >= deadline) throw new Stop('deadline');
      state.requests = state.requests.filter((x) => x > t - budget.windowMs);
      if (state.requests.length >= budget.requests) throw new Stop('budget');
      state.requests.push(t);
      run.requests++;
      const r = await ports.graph.get(path);
      if (r.status === 200 || (notFoundOk && r.status === 404)) return r;
      if (r.status === 429 || r.status === 503) {
        const wait = r.retryAfterMs ?? Math.min(60_000, 1000 * 2 ** tries);
        if (now() + wait >= deadline) throw new Stop(r.status === 429 ? 'throttled' : 'unavailable');
        logger.info('Graph asks to wait', { status: r.status, waitMs: wait });
        await clock.sleep(wait);
        continue;
      }
      if (r.status >= 500) {
        if (tries >= MAX_5XX_TRIES) throw new Stop('unavailable');
        await clock.sleep(Math.min(30_000, 1000 * 2 ** (tries - 1)));
        continue;
      }
      throw accessError(r, options.tenant);
    }
  };

  const owed = new Set(state.owed.map((o) => `${o.id}|${o.recipient}`));
  const watch = (state.watch ??= []);
  const watched = new Set(watch.map((w) => `${w.id}|${w.recipient}`));
  const unwatch = (k: string) => {
    if (!watched.delete(k)) return;
    const i = watch.findIndex((w) => `${w.id}|${w.recipient}` === k);
    if (i >= 0) watch.splice(i, 1);
  };
  const owe = (rows: unknown[]) => {
    for (const row of rows) {
      const r = row as { id?: string; recipientAddress?: string; status?: string; receivedDateTime?: string };
      const status = r.status?.toLowerCase();
      if (!r.id || !r.recipientAddress || !status) continue;
      const k = `${r.id}|${r.recipientAddress}`;
      // A watched message whose row has settled: its detail events now, for the final event (a later
      // status row does not take back the earlier Pending one; the event does).
      const settledRow = watched.has(k) && status !== 'pending' && status !== 'gettingstatus';
      if (!settledRow && !detailStatuses.has(status)) continue;
      if (owed.has(k) || state.fetched[k]?.status === status) continue;
      owed.add(k);
      state.owed.push({ id: r.id, recipient: r.recipientAddress, received: Date.parse(r.receivedDateTime ?? '') || 0, status });
    }
    state.owed.sort((a, b) => a.received - b.received);
    // More than the budget can fetch in a day (a very large tenant): the newest beyond the cap are
    // left out, counted, and said in --status; their rows still count, without codes.
    const max = options.maxOwed ?? MAX_OWED;
    if (state.owed.length > max) {
      const left = state.owed.splice(max);
      for (const o of left) owed.delete(`${o.id}|${o.recipient}`);
      state.owedDropped = (state.owedDropped ?? 0) + left.length;
    }
  };

  try {
    for (const slice of slices) {
      let path = resume && slice.from === resume.from && slice.to === resume.to ? resume.next : listPath(slice.from, slice.to, top);
      let page = resume && path === resume.next ? resume.page : 1;
      for (;;) {
        state.inProgress = { ...slice, next: path, page };
        const readAt = now();
        const r = await get(path);
        const body = parsePage(r.body, options.tenant);
        await ports.deliver(graphPageKey(options.tenant, slice, readAt, page), Buffer.from(r.body));
        run.pages++;
        run.rows += body.value.length;
        owe(body.value);
        const next = body['@odata.nextLink'];
        if (typeof next === 'string' && next) {
          path = next;
          page++;
          state.inProgress = { ...slice, next: path, page };
          await save();
          continue;
        }
        // The slice is read: its hours are complete once they no longer change, partial until then.
        const settled = Math.min(slice.to, Math.floor((readAt - REREAD) / HOUR) * HOUR);
        state.complete = mergeSpans([...state.complete, ...(settled > slice.from ? [[slice.from, settled] as Span] : [])]);
        state.partial = subtractSpans([...state.partial, [slice.from, slice.to]], state.complete);
        state.doneUntil = Math.max(state.doneUntil ?? 0, slice.to);
        state.inProgress = null;
        await save();
        break;
      }
    }
    await fetchDetails();
  } catch (err) {
    if (!(err instanceof Stop)) {
      await save().catch(() => {});
      throw err;
    }
    run.stopped = err.why;
    await save();
  }
  state.lastRun = { ...run };
  await save();
  return result();

  async function fetchDetails(): Promise<void> {
    let lines: string[] = [];
    let files = 0;
    const flush = async () => {
      if (lines.length === 0) return;
      await ports.deliver(graphDetailsKey(options.tenant, started, ++files), Buffer.from(`${lines.join('\n')}\n`));
      lines = [];
      await save();
    };
    /** One message's detail events, handed on; whether they show it settled (or Graph no longer has it). */
    const fetchOne = async (id: string, recipient: string): Promise<boolean> => {
      // A trace Graph no longer has (past its 90 days, or gone): nothing to fetch, not a failure of the run.
      const r = await get(detailPath(id, recipient), true);
      const events = r.status === 404 ? [] : ((JSON.parse(r.body) as { value?: Array<Record<string, unknown>> }).value ?? []);
      for (const e of events) lines.push(JSON.stringify({ messageTraceId: id, recipientAddress: recipient, ...e }));
      run.details++;
      run.detailEvents += events.length;
      return r.status === 404 || events.some((e) => isFinal(outcomeForEvent(String(e.event ?? ''), true)));
    };
    try {
      while (state.owed.length > 0) {
        const o: OwedDetail = state.owed[0]!;
        const settled = await fetchOne(o.id, o.recipient);
        state.owed.shift();
        const k = `${o.id}|${o.recipient}`;
        state.fetched[k] = { status: o.status, received: o.received };
        if (settled) unwatch(k);
        else if (!watched.has(k) && o.received > now() - WATCH_FOR) {
          if (watch.length < MAX_WATCH) {
            watch.push({ id: o.id, recipient: o.recipient, received: o.received, checked: now() });
            watched.add(k);
          } else state.watchDropped = (state.watchDropped ?? 0) + 1;
        }
        if (lines.length >= DETAIL_EVENTS_PER_FILE) await flush();
      }
      // Then the watched messages that are due, the longest overdue first.
      for (const w of watch.filter((x) => x.received <= now() - WATCH_FOR)) unwatch(`${w.id}|${w.recipient}`);
      const due = watch.filter((w) => watchDue(w) <= now()).sort((a, b) => watchDue(a) - watchDue(b));
      for (const w of due) {
        const settled = await fetchOne(w.id, w.recipient);
        run.rechecks = (run.rechecks ?? 0) + 1;
        if (settled) unwatch(`${w.id}|${w.recipient}`);
        else w.checked = now();
        if (lines.length >= DETAIL_EVENTS_PER_FILE) await flush();
      }
    } finally {
      // What was fetched is handed over even when the budget ran out mid-way.
      await flush();
      // Only rows a later run reads again can be owed twice: those of the re-read window.
      const keepFrom = now() - REREAD - 2 * HOUR;
      for (const [k, v] of Object.entries(state.fetched)) if (v.received < keepFrom) delete state.fetched[k];
    }
  }
}

interface Page {
  value: unknown[];
  '@odata.nextLink'?: unknown;
}

function parsePage(body: string, tenant: string): Page {
  let page: Page;
  try {
    page = JSON.parse(body) as Page;
  } catch {
    throw new GraphAccessError(
      'COLLECT_GRAPH',
      `Graph answered a messageTraces page for ${tenant} that is not JSON: ${body.slice(0, 200)}`,
    );
  }
  if (!Array.isArray(page.value))
    throw new GraphAccessError('COLLECT_GRAPH', `Graph answered a page for ${tenant} without "value": ${body.slice(0, 200)}`);
  return page;
}

/** A refusal an admin has to fix, said in their terms. */
export function accessError(r: GraphResponse, tenant: string): GraphAccessError {
  let message = r.body.slice(0, 300);
  try {
    message = (JSON.parse(r.body) as { error?: { message?: string } }).error?.message ?? message;
  } catch {
    // not JSON: the body as it came
  }
  if (r.status === 401 && /service principal/i.test(message))
    return new GraphAccessError(
      'COLLECT_SERVICE_PRINCIPAL',
      `tenant ${tenant}: Graph's message trace needs Microsoft's first-party app 8bd644d1-64a1-4d4b-ae52-2e0cbf64e373 in the tenant, and it is not there yet. An admin of the tenant runs, once: Connect-MgGraph -Scopes Application.ReadWrite.All; New-MgServicePrincipal -AppId 8bd644d1-64a1-4d4b-ae52-2e0cbf64e373 (provisioning can take a few hours). Graph said: ${message}`,
    );
  if (r.status === 403)
    return new GraphAccessError(
      'COLLECT_PERMISSION',
      `tenant ${tenant}: the app may sign in but may not read message traces: grant it the application permission ExchangeMessageTrace.Read.All (Microsoft Graph) and give admin consent. Graph said: ${message}`,
    );
  if (r.status === 401) return new GraphAccessError('COLLECT_SIGN_IN', `tenant ${tenant}: Graph refused the token (401): ${message}`);
  return new GraphAccessError('COLLECT_GRAPH', `tenant ${tenant}: Graph answered ${r.status}: ${message}`);
}
