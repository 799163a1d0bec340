import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mergeDay } from '../../functions/core/aggregate/day-summary.ts';
import type { HourlySummary, SummaryGroup } from '../../functions/core/aggregate/rollup.ts';
import { U64Table } from '../../functions/core/aggregate/u64-set.ts';
import { StoredDataError } from '../../functions/core/store/records.ts';
import { decodeLine, readSummaries, SUMMARY } from '../../functions/core/store/hourly.ts';
import { summaryDayKey } from '../../functions/core/store/layout.ts';
import { encodeSummaryLine, summaryGroupsOf } from '../../functions/core/store/summary-lines.ts';
import { createMemoryStore } from '../helpers/memory-store.ts';

/**
 * Summary lines keep their groups as a table (each text once a line). What a reader gets back must
 * be what was written, field for field: texts null or empty, groups with and without message sets,
 * hour and day lines; and lines written before (groups as objects) read as they always did.
 */
const text = fc.option(
  fc.constantFrom('', 'deferred', 'failed', '4.4.316', 'dns', 'mx.contoso.com', 'contoso.com', 'naïve ünïcode', '"quoted"'),
  {
    nil: null,
  },
);
const set = (n: number) => {
  const t = new U64Table();
  for (let i = 1; i <= n; i++) t.add(i * 7919, i);
  return t.encode();
};
const group = fc
  .record({
    outcome: fc.constantFrom('delivered', 'deferred', 'failed', 'expired', 'filtered'),
    code: text,
    category: text,
    owner: text,
    connector: text,
    destination: text,
    domain: fc.constantFrom('', 'contoso.com', 'fabrikam.example'),
    events: fc.nat(10_000),
    members: fc.option(fc.integer({ min: 1, max: 30 }), { nil: undefined }),
  })
  .map(({ members, ...g }): SummaryGroup => ({
    ...(g as SummaryGroup),
    messages: members ?? g.events,
    ...(members ? { pairs: set(members) } : {}),
  }));
const summary = (groups: SummaryGroup[]): HourlySummary => ({
  schema: 1,
  tenant: 'contoso',
  hour: '2026-11-20T10:00:00Z',
  rollupVersion: 3,
  sources: 2,
  totals: { delivered: 1, deferred: 2, failed: 0, expired: 0, filtered: 0 },
  groups,
});

describe('summary lines', () => {
  it('read back exactly what was written, hour lines and day lines', () => {
    fc.assert(
      fc.property(fc.array(group, { maxLength: 30 }), (groups) => {
        const s = summary(groups);
        const line = encodeSummaryLine(s);
        expect(decodeLine<HourlySummary>(line, 'k', SUMMARY)).toEqual(s);
        // The head stays where the day objects look for it.
        expect(line.startsWith('{"schema":2,"tenant":"contoso","hour":"2026-11-20T10:00:00Z","rollupVersion":3,')).toBe(true);
        const day = mergeDay('contoso', '2026-11-20', [s]);
        expect(summaryGroupsOf(JSON.parse(encodeSummaryLine(day)) as typeof day, 'k')).toEqual(day);
      }),
      { numRuns: 200 },
    );
  });

  it('are a fraction of the size of groups as objects when a line has many groups', () => {
    const groups = Array.from({ length: 40 }, (_, i): SummaryGroup => ({
      outcome: i % 2 ? 'deferred' : 'delivered',
      code: i % 2 ? '4.4.316' : null,
      category: i % 2 ? 'connection-refused' : null,
      owner: i % 2 ? 'our-servers' : null,
      connector: null,
      destination: `mx${i % 5}.contoso-mail-gateway.example`,
      domain: `domain${i % 8}.example`,
      events: 10 + i,
      messages: 10 + i,
    }));
    const s = summary(groups);
    expect(encodeSummaryLine(s).length).toBeLessThan(JSON.stringify(s).length / 3);
  });

  it('of schema 1 (groups as objects) read as before, alongside schema 2 in one day object', async () => {
    const store = createMemoryStore();
    const a = summary([
      {
        outcome: 'deferred',
        code: '4.4.316',
        category: 'connection-refused',
        owner: 'our-servers',
        connector: null,
        destination: 'mx.contoso.com',
        domain: 'contoso.com',
        events: 3,
        messages: 2,
        pairs: set(2),
      },
    ]);
    const b = { ...a, hour: '2026-11-20T11:00:00Z', groups: [{ ...a.groups[0]!, pairs: set(1), messages: 1, events: 1 }] };
    store.objects.set(summaryDayKey('contoso', Date.parse(a.hour)), {
      body: Buffer.from(`${JSON.stringify(a)}\n${encodeSummaryLine(b)}\n`),
      etag: '"1"',
    });
    expect(await readSummaries(store, [summaryDayKey('contoso', Date.parse(a.hour))])).toEqual([a, b]);
  });

  it('that do not hold together fail with the object named, not with a wrong count', () => {
    const good = JSON.parse(
      encodeSummaryLine(
        summary([
          {
            outcome: 'failed',
            code: null,
            category: null,
            owner: null,
            connector: null,
            destination: null,
            domain: 'x',
            events: 1,
            messages: 1,
          },
        ]),
      ),
    ) as Record<string, unknown>;
    const bad = [
      { ...good, rows: [9, 0, 0, 0, 0, 0, 0, 1, 1, 0] },
      { ...good, rows: [1, 0, 0] },
      { ...good, rows: [1, 0, 0, 0, 0, 0, 2, 'one', 1, 0] },
      { ...good, texts: undefined },
    ];
    for (const value of bad)
      expect(() => summaryGroupsOf(value as never, 'results/summaries/tenant=x/date=2026-11-20.jsonl')).toThrow(StoredDataError);
    expect(() => summaryGroupsOf(bad[0] as never, 'results/summaries/tenant=x/date=2026-11-20.jsonl')).toThrow(
      /date=2026-11-20\.jsonl.*text 9 is not in "texts"/,
    );
  });
});
