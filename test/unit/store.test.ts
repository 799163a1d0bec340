import { describe, expect, it } from 'vitest';
import { readDeferralState } from '../../functions/core/store/deferral-state.ts';
import { summariesInRange } from '../../functions/core/query/query.ts';
import * as layout from '../../functions/core/store/layout.ts';
import { readJson, StoredDataError } from '../../functions/core/store/records.ts';
import { RECEIPT } from '../../functions/core/store/receipts.ts';
import { utf8 } from '../helpers/bytes.ts';
import { ingestBytes } from '../helpers/ingest.ts';
import { createMemoryStore } from '../helpers/memory-store.ts';

const HOUR = Date.UTC(2026, 10, 20, 10);

describe('store/layout.ts: the one place keys are spelled', () => {
  it('puts every key under a prefix the stack knows (lifecycle rules and grants are built from PREFIX and AREA)', () => {
    const keys = [
      layout.rollupDayKey('t', HOUR),
      layout.summaryDayKey('t', HOUR),
      layout.sqlDayKey('t', HOUR),
      layout.receiptKey('t', 'abc'),
      layout.deferralStateKey('t'),
      layout.incidentKey('t', 'rule', { destination: 'mx.example' }),
      layout.suppressionKey('t', 'id'),
      layout.notificationClaimKey('t', 'k', 'n'),
      layout.digestClaimKey('t', '2026-11-20'),
      layout.publishSlotKey(1),
      layout.failureKey('t', 'abc'),
    ];
    const areas = Object.values(layout.AREA);
    for (const key of keys)
      expect(
        areas.some((a) => key.startsWith(a)),
        key,
      ).toBe(true);
    for (const key of [layout.snapshotKey('t'), layout.fullDigestKey('t', '2026-11-20')])
      expect(key.startsWith(layout.PREFIX.reports)).toBe(true);
    expect(layout.incomingKey('t', 'EX01/a.log')).toBe('incoming/t/EX01/a.log');
    for (const a of areas)
      expect(
        [layout.PREFIX.results, layout.PREFIX.state].some((p) => a.startsWith(p)),
        a,
      ).toBe(true);
  });

  it("keeps a tenant's day in one object per kind, and reads back the tenant and day of a summary key (nothing else under the prefix)", () => {
    const day = Date.UTC(2026, 10, 20);
    expect(layout.summaryDayKey('contoso', HOUR)).toBe('results/summaries/tenant=contoso/date=2026-11-20.jsonl');
    expect(layout.rollupDayKey('contoso', HOUR + 13 * 3_600_000)).toBe('results/rollups/tenant=contoso/date=2026-11-20.jsonl');
    expect(layout.sqlDayKey('contoso', day)).toBe('results/sql/day=2026-11-20/contoso.jsonl');
    expect(layout.parseSummaryDayKey(layout.summaryDayKey('contoso', HOUR))).toEqual({ tenant: 'contoso', day });
    expect(layout.parseSummaryDayKey(`${layout.summaryPrefix('contoso')}date=2026-11-20/hour=10.json`)).toBeNull();
    expect(layout.parseSummaryDayKey(`${layout.summaryPrefix('contoso')}notes.txt`)).toBeNull();
    // A listing that starts after this begins with the day's object.
    expect(layout.summaryListStart('contoso', HOUR) < layout.summaryDayKey('contoso', HOUR)).toBe(true);
    expect(layout.summaryListStart('contoso', HOUR) > layout.summaryDayKey('contoso', day - 1)).toBe(true);
  });

  it('files an upload whose folder is no valid tenant under default', () => {
    expect(layout.uploadTenant('incoming/Contoso/a.csv')).toBe('contoso');
    expect(layout.uploadTenant('incoming/not a tenant!/a.csv')).toBe('default');
    expect(layout.uploadTenant('incoming/a.csv')).toBe('default');
  });
});

describe('store/records.ts: what is read is checked', () => {
  it('names the key when a stored object is not JSON', async () => {
    const store = createMemoryStore();
    await store.putIfAbsent('results/sources/t/x.json', utf8('{"schema":1,'));
    const err = await readJson(store, 'results/sources/t/x.json', RECEIPT).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoredDataError);
    expect(err).toMatchObject({
      code: 'BAD_STORED_OBJECT',
      message: expect.stringContaining('results/sources/t/x.json: expected a receipt as JSON'),
    });
  });

  it('names the field when a stored object is JSON of the wrong shape', async () => {
    const store = createMemoryStore();
    await store.putIfAbsent(
      layout.deferralStateKey('t'),
      utf8(JSON.stringify({ schema: 1, tenant: 't', asOf: '2026-11-20', entries: {} })),
    );
    await expect(readDeferralState(store, 't')).rejects.toMatchObject({
      code: 'BAD_STORED_OBJECT',
      message: 'state/deferrals/t.json: not a deferral state: field "asOf" should be number, is "2026-11-20"',
    });
  });

  it('never overwrites a damaged rollup: the compare-and-swap fails before it writes, and ingestion with it', async () => {
    const store = createMemoryStore();
    const key = layout.rollupDayKey('default', HOUR);
    const damaged = utf8(`${JSON.stringify({ schema: 1, tenant: 'default', hour: '2026-11-20T10:00:00Z', version: 'three' })}\n`);
    await store.putIfAbsent(key, damaged);
    const csv =
      '"Received","SenderAddress","RecipientAddress","Status","MessageTraceId"\r\n"2026-11-20T10:05:00Z","a@contoso.com","b@fabrikam.com","Delivered","m1"\r\n';
    await expect(ingestBytes(store, 'a.csv', utf8(csv))).rejects.toMatchObject({
      code: 'BAD_STORED_OBJECT',
      message: expect.stringContaining(`${key}: not a hourly rollup: field "version" should be number`),
    });
    expect(Buffer.from((await store.get(key))!.body).equals(Buffer.from(damaged))).toBe(true);
  });

  it('names the line of a day object that is no record of one hour', async () => {
    const store = createMemoryStore();
    const key = layout.summaryDayKey('default', HOUR);
    await store.putIfAbsent(
      key,
      utf8('{"schema":1,"tenant":"default","hour":"2026-11-20T09:00:00Z","rollupVersion":1,"groups":[]}\nnot json\n'),
    );
    await expect(summariesInRange(store, { tenants: ['default'] })).rejects.toMatchObject({
      code: 'BAD_STORED_OBJECT',
      message: `${key}: line 2: expected a JSON record of one hour (with "hour" near its start)`,
    });
  });
});
