import { describe, expect, it } from 'vitest';
import { describe as describeReceipt } from '../../functions/cli/local-ingest.ts';
import { forgetSources } from '../../functions/core/flows/forget-sources.ts';
import type { HourlySummary } from '../../functions/core/aggregate/rollup.ts';
import { queryStore } from '../../functions/core/query/query.ts';
import type { ObjectStore } from '../../functions/core/ports.ts';
import { generated, readAll } from '../helpers/bytes.ts';
import { fastClock, ingestBytes, joinExport, snapshot, splitExport } from '../helpers/ingest.ts';
import { createMemoryStore } from '../helpers/memory-store.ts';
import { MESSAGE_TRACES_CONTEXT, traceRow } from '../../functions/core/generate/graph.ts';
import { generateMessages, snapshot as graphSnapshot, type GenMessage } from '../../functions/core/generate/scenario.ts';

/**
 * Issue 12 (1): a summary export and a detail export of the same messages count each message once.
 * The generator's seed gives the same messages in every family, so the summary and the detail of
 * one seed describe the same deliveries: the summary a status per message and recipient, the detail
 * their events.
 */
const SEED = 9;
const summary = generated({ family: 'trace-summary', rows: 2000, seed: SEED });
const detail = generated({ family: 'trace-detail', rows: 6000, seed: SEED });
const cas = { clock: fastClock, budgetMs: 60_000 };

async function byOutcome(store: ObjectStore) {
  const rows = await queryStore(store, { by: ['outcome'] });
  return Object.fromEntries(rows.map((r) => [r.outcome, { events: r.events, messages: r.messages }]));
}
async function byOutcomeAndCode(store: ObjectStore) {
  return (await queryStore(store, { by: ['outcome', 'code', 'destination'] })).sort((a, b) =>
    JSON.stringify(a) < JSON.stringify(b) ? -1 : 1,
  );
}
/** Both orders of a status export and an event export of the same messages, checked to agree; the first. */
async function bothOrders(status: [string, Uint8Array], events: [string, Uint8Array]) {
  const a = await ingestAll([status, events]);
  expect(await snapshot(a, false)).toEqual(await snapshot(await ingestAll([events, status]), false));
  return a;
}

/** By hand, from the parsed rows: the status rows the events have no final for (no event at all, for Pending), each event once. */
async function statusRowsKept(status: Uint8Array, events: Uint8Array) {
  const sEvents = (await readAll(status)).events.filter((e) => e.outcome !== 'other');
  const dEvents = (await readAll(events)).events.filter((e) => e.outcome !== 'other');
  const key = (e: { messageKey: string; recipient: string }) => `${e.messageKey}|${e.recipient}`;
  const withFinal = new Set(dEvents.filter((e) => e.outcome !== 'deferred').map(key));
  const withEvent = new Set(dEvents.map(key));
  return {
    kept: distinct(sEvents.filter((e) => !(e.outcome === 'deferred' ? withEvent : withFinal).has(key(e)))).length,
    rows: sEvents.length,
  };
}

const total = (o: Record<string, { events: number }>) => Object.values(o).reduce((n, x) => n + x.events, 0);

async function ingestAll(files: Array<[string, Uint8Array]>) {
  const store = createMemoryStore();
  for (const [name, bytes] of files) await ingestBytes(store, name, bytes);
  return store;
}

describe('one truth per message across the summary and the detail of the same messages', () => {
  it('counts the detail alone plus the summary rows the detail has no final for, in either order', async () => {
    const detailOnly = await ingestAll([['detail.csv', detail]]);
    const summaryOnly = await ingestAll([['summary.csv', summary]]);
    const sd = await bothOrders(['summary.csv', summary], ['detail.csv', detail]);
    const both = await byOutcome(sd);
    const d = await byOutcome(detailOnly);
    const s = await byOutcome(summaryOnly);
    // Failures and expiries: the detail's, with their codes; never the summary's on top (it used to add them).
    expect(both.failed).toEqual(d.failed);
    expect(both.expired).toEqual(d.expired);
    expect(both.delivered).toEqual(d.delivered);
    expect(s.failed!.messages).toBeGreaterThan(0);
    // Deferrals come from events: the summary's Pending rows of messages the detail has events for go.
    expect(both.deferred).toEqual(d.deferred);
    // What is left of the summary: exactly its rows the detail has no final for, counted by hand.
    const { kept, rows } = await statusRowsKept(summary, detail);
    expect(total(both)).toBe(total(d) + kept);
    expect(kept).toBeLessThan(rows / 10); // the detail describes nearly every message
    const failedRows = (await byOutcomeAndCode(sd)).filter((r) => r.outcome === 'failed');
    expect(failedRows.every((r) => r.code !== null)).toBe(true); // codes from the detail, no "no code" failures left
    // One destination per message: the detail's host names, not the summary's ToIP as a second one.
    expect(failedRows).toEqual((await byOutcomeAndCode(detailOnly)).filter((r) => r.outcome === 'failed'));
  });

  it('does the same for the admin center: an enhanced summary and the extended report of the same messages', async () => {
    const enhanced = generated({ family: 'eac-enhanced-summary', rows: 1500, seed: 12 });
    const extended = generated({ family: 'eac-extended', rows: 1500, seed: 12 });
    const a = await bothOrders(['enhanced.csv', enhanced], ['extended.csv', extended]);
    const { kept, rows } = await statusRowsKept(enhanced, extended);
    expect(kept).toBeLessThan(rows); // the two describe the same messages
    expect(total(await byOutcome(a))).toBe(total(await byOutcome(await ingestAll([['extended.csv', extended]]))) + kept);
  });

  it("an enhanced summary's words give each recipient's final outcome, as the trace summary of the same messages does", async () => {
    // `Receive, Defer, Send` is a recipient delayed and then delivered: delivered, not an open
    // deferral (which no later row would end, so the stuck and queue rules counted it for days).
    const shape = { rows: 100_000, hours: 6, seed: 4 };
    const enhanced = generated({ family: 'eac-enhanced-summary', ...shape });
    expect(Buffer.from(enhanced).toString()).toContain('##Receive, Defer, Send');
    const e = await byOutcome(await ingestAll([['enhanced.csv', enhanced]]));
    const s = await byOutcome(await ingestAll([['summary.csv', generated({ family: 'trace-summary', ...shape })]]));
    expect([e.delivered, e.failed, e.filtered]).toEqual([s.delivered, s.failed, s.filtered]);
    // The summary's last minute holds one Pending recipient whose Defer the enhanced summary has not yet.
    expect(Math.abs(e.deferred!.messages - s.deferred!.messages)).toBeLessThanOrEqual(2);
  });

  it('does the same for Microsoft Graph (a messageTraces page and the detail events of the same messages), and across Graph and CSV', async () => {
    const page = generated({ family: 'graph-trace', rows: 2000, seed: SEED });
    const events = generated({ family: 'graph-detail', rows: 6000, seed: SEED });
    const a = await bothOrders(['page.json', page], ['detail.jsonl', events]);
    const { kept, rows } = await statusRowsKept(page, events);
    expect(rows).toBe(2000);
    expect(kept).toBeLessThan(rows / 10);
    const graphDetail = await ingestAll([['detail.jsonl', events]]);
    expect(total(await byOutcome(a))).toBe(total(await byOutcome(graphDetail)) + kept);
    // Graph's detail events count as the CSV detail of the same messages: events, codes, destinations.
    expect(await byOutcomeAndCode(graphDetail)).toEqual(await byOutcomeAndCode(await ingestAll([['detail.csv', detail]])));
    // A Graph page with the CSV detail is one truth as the CSV summary with it is.
    expect(
      await byOutcome(
        await ingestAll([
          ['page.json', page],
          ['detail.csv', detail],
        ]),
      ),
    ).toEqual(
      await byOutcome(
        await ingestAll([
          ['summary.csv', summary],
          ['detail.csv', detail],
        ]),
      ),
    );
  });

  it('says in the receipts what was superseded', async () => {
    const store = createMemoryStore();
    const s = await ingestBytes(store, 'summary.csv', summary);
    const d = await ingestBytes(store, 'detail.csv', detail);
    expect(s.superseded).toBe(0);
    expect(d.superseded).toBeGreaterThan(1500); // the summary's rows of the messages the detail has finals for
    expect(describeReceipt(d)).toContain(
      `${d.superseded!.toLocaleString('en-US')} summary rows of the same messages replaced by these events`,
    );
    const other = createMemoryStore();
    await ingestBytes(other, 'detail.csv', detail);
    const late = await ingestBytes(other, 'summary.csv', summary);
    expect(late.superseded).toBe(d.superseded);
    expect(describeReceipt(late)).toContain('of its rows left to the detail events of the same messages');
  });

  it('counts halves that overlap like the whole, in any order', async () => {
    const split = (bytes: Uint8Array) => splitExport(Buffer.from(bytes).toString('utf8'));
    const sp = split(summary);
    const dp = split(detail);
    const s1 = joinExport(sp.head, sp.rows.slice(0, 1200));
    const s2 = joinExport(sp.head, sp.rows.slice(800));
    const d1 = joinExport(dp.head, dp.rows.slice(0, 3500));
    const d2 = joinExport(dp.head, dp.rows.slice(2500));
    const whole = await snapshot(
      await ingestAll([
        ['summary.csv', summary],
        ['detail.csv', detail],
      ]),
      false,
    );
    for (const order of [
      ['s1', 's2', 'd1', 'd2'],
      ['d2', 's1', 'd1', 's2'],
      ['d1', 'd2', 's2', 's1'],
    ]) {
      const files = { s1, s2, d1, d2 } as Record<string, Uint8Array>;
      const got = await ingestAll(order.map((n) => [`${n}.csv`, files[n]!] as [string, Uint8Array]));
      expect(summariesOnly(await snapshot(got, false)), order.join(' ')).toEqual(summariesOnly(whole));
    }
  });

  it('gives the summary its rows back when the detail is forgotten', async () => {
    const store = createMemoryStore();
    await ingestBytes(store, 'summary.csv', summary);
    const d = await ingestBytes(store, 'detail.csv', detail);
    await forgetSources(store, 'default', [d.sourceId], cas);
    expect(await byOutcome(store)).toEqual(await byOutcome(await ingestAll([['summary.csv', summary]])));
  });

  it('a summary and a detail ingested at the same time count as one after the other', async () => {
    const { kept } = await statusRowsKept(summary, detail);
    const expected = summariesOnly(
      await snapshot(
        await ingestAll([
          ['summary.csv', summary],
          ['detail.csv', detail],
        ]),
        false,
      ),
    );
    for (let seed = 1; seed <= 6; seed++) {
      let s = seed;
      const store = createMemoryStore({ yieldPoint: () => new Promise((r) => setTimeout(r, (s = (s * 16807) % 2147483647) % 3)) });
      // The summary starts later and later, so it overlaps every step of the detail's ingestion
      // (checked: without the summary's own post-merge check, the third start double-counts).
      const late = (seed - 1) * 60;
      await Promise.all([
        new Promise((r) => setTimeout(r, late)).then(() => ingestBytes(store, 'summary.csv', summary)),
        ingestBytes(store, 'detail.csv', detail),
      ]);
      expect(summariesOnly(await snapshot(store, false)), `seed ${seed}`).toEqual(expected);
      // And against the hand count, so a protocol that double-counts in every order cannot pass.
      expect(total(await byOutcome(store)), `seed ${seed}`).toBe(total(await byOutcome(await ingestAll([['detail.csv', detail]]))) + kept);
    }
  }, 120_000);
});

/** Rows that repeat an event inside their file count once (the ingestion's own rule). */
function distinct<E extends { messageKey: string; recipient: string; time: number; outcome: string; code: string | null }>(
  events: E[],
): E[] {
  const seen = new Set<string>();
  return events.filter((e) => {
    const k = JSON.stringify([e.messageKey, e.recipient, e.time, e.outcome, e.code]);
    return !seen.has(k) && seen.add(k) !== undefined;
  });
}

/** What readers see: the summaries' counts (rollups of emptied hours stay as empty objects). */
function summariesOnly(s: Awaited<ReturnType<typeof snapshot>>) {
  return Object.fromEntries(
    Object.entries(s.summaries)
      .map(([k, v]) => [k, (v as HourlySummary).groups] as const)
      .filter(([, g]) => g.length > 0),
  );
}

describe('a Pending status row and a final status row of the same message from another source (a later export, a Graph page read again)', () => {
  const START = Date.UTC(2026, 10, 20);
  const CUTOFF = START + 3 * 3_600_000;
  const mail: GenMessage[] = [];
  for (const m of generateMessages({ seed: 31, perHour: 60, start: START })) {
    if (m.received > CUTOFF) break; // the generator never ends
    // One row per trace id and recipient, as Graph has it.
    mail.push({ ...m, recipients: m.recipients.filter((r, i) => m.recipients.findIndex((x) => x.address === r.address) === i) });
  }
  const page = (messages: GenMessage[]) =>
    Buffer.from(
      JSON.stringify({ '@odata.context': MESSAGE_TRACES_CONTEXT, value: messages.flatMap((m) => m.recipients.map((r) => traceRow(m, r))) }),
    );
  // Read while some were still in progress, and again once everything had settled.
  const early = page(mail.map((m) => graphSnapshot(m, CUTOFF)!));
  const late = page(mail);

  it('counts the final one only, in either order; forgetting the final source gives the Pending row back', async () => {
    const pending = mail.flatMap((m) => graphSnapshot(m, CUTOFF)!.recipients).filter((r) => r.status === 'Pending').length;
    expect(pending).toBeGreaterThan(5);
    const settled = await byOutcome(await ingestAll([['late.json', late]]));
    const a = await bothOrders(['early.json', early], ['late.json', late]);
    expect(await byOutcome(a)).toEqual(settled);
    const store = createMemoryStore();
    await ingestBytes(store, 'early.json', early);
    const alone = await byOutcome(store);
    expect(alone.deferred!.messages).toBeGreaterThanOrEqual(pending);
    const l = await ingestBytes(store, 'late.json', late);
    expect(await byOutcome(store)).toEqual(settled);
    await forgetSources(store, 'default', [l.sourceId], cas);
    expect(await byOutcome(store)).toEqual(alone);
  });

  it('a Pending row that no other source settles still counts as deferred', async () => {
    const store = await ingestAll([
      ['early.json', early],
      ['other.json', page(mail.slice(0, 10))],
    ]);
    expect((await byOutcome(store)).deferred!.messages).toBe(
      (await byOutcome(await ingestAll([['early.json', early]]))).deferred!.messages,
    );
  });
});
