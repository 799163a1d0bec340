import { summaryGroupsOf } from '../../functions/core/store/summary-lines.ts';
import { describe, expect, it } from 'vitest';
import { toSummary, type HourlyRollup, type HourlySummary, type SummaryGroup } from '../../functions/core/aggregate/rollup.ts';
import { groupSummaries, summariesInRange, type QueryField } from '../../functions/core/query/query.ts';
import { mergeDay, type DaySummary } from '../../functions/core/aggregate/day-summary.ts';
import { rollupsOf, syncSummaries } from '../../functions/core/store/hourly.ts';
import { rollupDayKey, sqlDayKey, summaryDayKey } from '../../functions/core/store/layout.ts';
import { generated } from '../helpers/bytes.ts';
import { fastClock, ingestBytes } from '../helpers/ingest.ts';
import { createMemoryStore } from '../helpers/memory-store.ts';

/**
 * Issue 13 (2): a tenant's counts are one object per UTC day and kind (rollups, summaries, SQL
 * companion), one line per hour, so an upload touches as many objects as days. Inside, every hour
 * keeps its own version and only moves forward.
 */
const HOUR = 3_600_000;
const START = Date.UTC(2026, 10, 20, 20);
const cas = { clock: fastClock, budgetMs: 10_000 };
const allLines = (body: Uint8Array | undefined) =>
  Buffer.from(body ?? new Uint8Array())
    .toString('utf8')
    .split('\n')
    .filter(Boolean);
/** The hour lines (a summary object also starts with its day line). */
const lines = (body: Uint8Array | undefined) => allLines(body).filter((l) => JSON.parse(l).day === undefined);

describe('day objects', () => {
  it('an upload over 10 hours across midnight writes two days of each kind, one line per hour in hour order', async () => {
    const store = createMemoryStore();
    const bytes = generated({ family: 'trace-detail', rows: 2_000, seed: 3, perHour: 40, start: START, hours: 10 });
    const r = await ingestBytes(store, 'a.csv', bytes);
    expect(r.status).toBe('ingested');
    const keys = (prefix: string) => [...store.objects.keys()].filter((k) => k.startsWith(prefix)).sort();
    expect(keys('results/rollups/')).toEqual([rollupDayKey('default', START), rollupDayKey('default', START + 4 * HOUR)]);
    expect(keys('results/summaries/')).toEqual([summaryDayKey('default', START), summaryDayKey('default', START + 4 * HOUR)]);
    expect(keys('results/sql/')).toEqual([sqlDayKey('default', START), sqlDayKey('default', START + 4 * HOUR)]);
    const hours = keys('results/summaries/').flatMap((k) => lines(store.objects.get(k)!.body).map((l) => JSON.parse(l).hour as string));
    expect(hours).toEqual([...hours].sort());
    expect(hours.length).toBe(r.hours);
    expect(hours[0]).toBe('2026-11-20T20:00:00Z');
  });

  it("a summary object starts with its day line, the day's hours merged, which ranges of whole days read instead of 24 lines", async () => {
    const store = createMemoryStore();
    // 30 hours from 20:00: the second day is covered whole, the first only from 20:00.
    await ingestBytes(store, 'a.csv', generated({ family: 'trace-detail', rows: 3_000, seed: 6, perHour: 40, start: START, hours: 30 }));
    await ingestBytes(
      store,
      'b.csv',
      generated({ family: 'trace-detail', rows: 900, seed: 7, perHour: 40, start: START + 20 * HOUR, hours: 8 }),
    );
    const day2 = START + 4 * HOUR;
    const body = store.objects.get(summaryDayKey('default', day2))!.body;
    const first = summaryGroupsOf(JSON.parse(allLines(body)[0]!) as DaySummary, 'day');
    const hours = lines(body).map((l) => summaryGroupsOf(JSON.parse(l) as HourlySummary, 'hour'));
    expect(first).toEqual(mergeDay('default', '2026-11-21', hours));
    expect(first.hours).toBe(24);
    // The merged day has fewer groups than its hours together, and its sets are unions: smaller than the sum.
    expect(first.groups.length).toBeLessThan(hours.reduce((n, h) => n + h.groups.length, 0));
    const deferredIn = (groups: SummaryGroup[]) => groups.filter((g) => g.outcome === 'deferred').reduce((n, g) => n + g.messages, 0);
    expect(deferredIn(first.groups)).toBeLessThan(hours.reduce((n, h) => n + deferredIn(h.groups), 0));

    const range = { from: START, to: day2 + 24 * HOUR, tenants: ['default'] };
    const byDay = await summariesInRange(store, { ...range, grain: 'day' });
    // The cut day as its hours, the whole one as one summary spanning it.
    expect(byDay.map((s) => [s.hour, s.span ?? 'hour'])).toEqual([
      ...['20', '21', '22', '23'].map((h) => [`2026-11-20T${h}:00:00Z`, 'hour']),
      ['2026-11-21T00:00:00Z', 'day'],
    ]);
    const byHour = await summariesInRange(store, range);
    expect(byHour).toHaveLength(28);
    for (const by of [['code'], ['outcome', 'destination'], ['day', 'outcome']] as QueryField[][])
      expect(groupSummaries(byDay, { by })).toEqual(groupSummaries(byHour, { by }));
    // Two periods read at once: no day summary spans the time between them.
    const split = await summariesInRange(store, { ...range, grain: 'day', splitAt: [day2 + 12 * HOUR] });
    expect(split.every((s) => s.span === undefined)).toBe(true);
  });

  it('a range inside a day reads that day and returns only its hours', async () => {
    const store = createMemoryStore();
    await ingestBytes(store, 'a.csv', generated({ family: 'trace-detail', rows: 2_000, seed: 3, perHour: 40, start: START, hours: 10 }));
    const from = START + 5 * HOUR;
    const got = await summariesInRange(store, { from, to: from + 2 * HOUR, tenants: ['default'] });
    expect(got.map((s) => s.hour)).toEqual(['2026-11-21T01:00:00Z', '2026-11-21T02:00:00Z']);
  });

  it('a summary line and its SQL lines only move forward: an older rollup of one hour is ignored, a newer one of another applied', async () => {
    const store = createMemoryStore();
    await ingestBytes(store, 'a.csv', generated({ family: 'trace-detail', rows: 600, seed: 4, perHour: 40, start: START, hours: 3 }));
    await ingestBytes(store, 'b.csv', generated({ family: 'trace-detail', rows: 600, seed: 5, perHour: 40, start: START, hours: 3 }));
    const rollups = rollupsOf(store.objects.get(rollupDayKey('default', START))!.body, 'k');
    const [first, second] = [...rollups.values()] as [HourlyRollup, HourlyRollup];
    expect(first.version).toBe(2);
    const summaryBefore = lines(store.objects.get(summaryDayKey('default', START))!.body);
    const sqlBefore = lines(store.objects.get(sqlDayKey('default', START))!.body);

    // An older version of the first hour (a slow writer), and a newer one of the second.
    const older: HourlyRollup = { ...first, version: 1, groups: [] };
    const newer: HourlyRollup = { ...second, version: second.version + 1, groups: second.groups.slice(0, 1) };
    await syncSummaries(store, 'default', [toSummary(older), toSummary(newer)], cas);

    const summaryAfter = lines(store.objects.get(summaryDayKey('default', START))!.body);
    expect(summaryAfter[0]).toBe(summaryBefore[0]); // the newer line stays, byte for byte
    expect(summaryGroupsOf(JSON.parse(summaryAfter[1]!) as HourlySummary, 'hour')).toMatchObject({
      hour: second.hour,
      rollupVersion: newer.version,
      groups: [expect.any(Object)],
    });
    expect(summaryAfter.slice(2)).toEqual(summaryBefore.slice(2));
    const sqlAfter = lines(store.objects.get(sqlDayKey('default', START))!.body).map((l) => JSON.parse(l));
    const ofHour = (rows: Array<{ hour: string }>, hour: string) => rows.filter((x) => x.hour === hour);
    const before = sqlBefore.map((l) => JSON.parse(l));
    expect(ofHour(sqlAfter, first.hour)).toEqual(ofHour(before, first.hour));
    expect(ofHour(sqlAfter, second.hour)).toEqual([expect.objectContaining({ rollup_version: newer.version })]);
  });

  it('a day object names the line it cannot read', async () => {
    const store = createMemoryStore();
    await store.putIfAbsent(summaryDayKey('default', START), Buffer.from('{"schema":1}\n'));
    await expect(summariesInRange(store, { tenants: ['default'] })).rejects.toMatchObject({
      code: 'BAD_STORED_OBJECT',
      message: expect.stringContaining(`${summaryDayKey('default', START)}: line 1:`),
    });
  });

  it('results of the earlier layout (one object per hour) are refused with the command that counts them again, not read as "nothing happened"', async () => {
    const store = createMemoryStore();
    await store.putIfAbsent('results/hourly/tenant=default/date=2026-11-20/hour=10.json', Buffer.from('{}'));
    await expect(summariesInRange(store, {})).rejects.toMatchObject({
      code: 'EARLIER_LAYOUT',
      message: expect.stringContaining('run "mailflow reprocess --all"'),
    });
  });
});
