import { describe, expect, it } from 'vitest';
import { TenantRunError } from '../../functions/core/errors.ts';
import { scheduledTick } from '../../functions/core/flows/scheduled-tick.ts';
import type { Notification } from '../../functions/core/ports.ts';
import { buildDigest } from '../../functions/core/render/digest.ts';
import { renderReportPage } from '../../functions/core/render/report-html.ts';
import { buildReportModel } from '../../functions/core/render/report-model.ts';
import { parseRulesConfig } from '../../functions/core/rules/config.ts';
import type { Incident } from '../../functions/core/store/incidents.ts';
import { incidentKey } from '../../functions/core/store/layout.ts';
import { openIncident } from '../helpers/alerts.ts';
import { deferralExport, ingestBytes } from '../helpers/ingest.ts';
import { createMemoryStore } from '../helpers/memory-store.ts';

/**
 * Issue 16 (3): 375,000 incidents once made `report --html` fail with "Maximum call stack size
 * exceeded" (a spread of the whole list), and in the hourly tick that tenant's digest was claimed
 * but never sent and the tenants after it were skipped.
 */
const N = 300_000;
const T0 = Date.UTC(2026, 10, 20, 10);
const many: Incident[] = Array.from({ length: N }, (_, i) =>
  openIncident({
    ruleId: 'stuck',
    group: { destination: `mx${i}.fabrikam.com` },
    state: i === 7 ? 'escalated' : 'open',
    openedAt: new Date(T0 - i * 1000).toISOString(),
  }),
);

describe(`${N.toLocaleString('en-US')} open incidents`, () => {
  it('a digest names 20 (escalated first, then the newest), counts the rest, and stays under the SNS size', () => {
    const d = buildDigest({ tenant: 'contoso', lang: 'en', from: T0 - 86_400_000, to: T0, summaries: [], incidents: many });
    expect(d.text).toContain(`Open incidents: ${N.toLocaleString('en-US')}`);
    const listed = d.text.split('\n').filter((l) => l.startsWith('  stuck '));
    expect(listed).toHaveLength(20);
    expect(listed[0]).toContain('destination=mx7.fabrikam.com'); // the escalated one
    expect(listed[1]).toContain('destination=mx0.fabrikam.com'); // then the newest
    expect(d.text).toContain(`… and ${(N - 20).toLocaleString('en-US')} more`);
    expect(d.json).toMatchObject({ openIncidentCount: N });
    expect((d.json.openIncidents as unknown[]).length).toBe(20);
    expect(Buffer.byteLength(d.text) + Buffer.byteLength(JSON.stringify(d.json))).toBeLessThan(240 * 1024);
  });

  it('a dashboard view lists 50 and says how many more, in a page of bounded size', () => {
    const model = buildReportModel({
      tenant: 'contoso',
      lang: 'en',
      from: T0 - 86_400_000,
      to: T0,
      summaries: [],
      incidents: many,
      receipts: [],
      dataUntil: T0,
    });
    expect(model.incidents).toHaveLength(50);
    expect(model.incidentCount).toBe(N);
    const html = renderReportPage({
      mode: 'static',
      lang: 'en',
      tenants: ['contoso'],
      ranges: ['24h'],
      selected: { tenant: 'contoso', range: '24h' },
      views: [{ range: '24h', model }],
      generatedAt: T0,
    });
    expect(html).toContain(`and ${(N - 50).toLocaleString('en-US')} more open incidents, not listed`);
    expect(html.match(/mx\d+\.fabrikam\.com/g)).toHaveLength(50);
    expect(html.length).toBeLessThan(200_000);
  });

  it('shows a folded incident as the number of groups it holds', () => {
    const folded: Incident = { ...many[0]!, group: { folded: 'more' }, folded: { groups: 1980, top: [] } };
    const d = buildDigest({ tenant: 'contoso', lang: 'en', from: T0 - 86_400_000, to: T0, summaries: [], incidents: [folded] });
    expect(d.text).toContain('  stuck 1,980 more groups (folded): 1');
  });
});

describe('the hourly tick isolates tenants', () => {
  it('sends every other tenant its digest when one tenant fails, then fails naming that tenant', async () => {
    const store = createMemoryStore();
    const sent: Notification[] = [];
    const notifier = { publish: async (n: Notification) => void sent.push(n) };
    const rules = parseRulesConfig({});
    for (const tenant of ['alpha', 'bravo', 'charlie']) await ingestBytes(store, 'a.csv', deferralExport(5), { tenant });
    // bravo's stored state is damaged: its evaluation cannot read it
    await store.putIfAbsent(incidentKey('bravo', 'stuck', { destination: 'x' }), Buffer.from('{"schema":1,'));
    const errors: Array<Record<string, unknown> | undefined> = [];
    const logger = { debug() {}, info() {}, warn() {}, error: (_m: string, f?: Record<string, unknown>) => void errors.push(f) };
    const tick = scheduledTick(
      { store, notifier, logger, clock: { now: () => new Date('2026-11-21T07:05:00Z'), sleep: async () => {} } },
      rules,
    );
    const err = await tick.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TenantRunError);
    expect(err).toMatchObject({
      code: 'TENANT_TICK_FAILED',
      message: expect.stringMatching(/^1 of 3 tenant\(s\) failed in this tick .*: bravo: /),
    });
    expect(sent.filter((n) => n.json.kind === 'digest').map((n) => n.json.tenant)).toEqual(['alpha', 'charlie']);
    expect(errors).toEqual([expect.objectContaining({ tenant: 'bravo' })]);
  });
});
