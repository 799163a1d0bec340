import { describe, expect, it } from 'vitest';
import { loadReportInput } from '../../functions/core/render/report-load.ts';
import { openIncident } from '../helpers/alerts.ts';
import { incidentKey } from '../../functions/core/store/layout.ts';
import { deferralExport, ingestBytes } from '../helpers/ingest.ts';
import { createMemoryStore } from '../helpers/memory-store.ts';

/**
 * Issue 16 (3): the dashboard read a tenant's incidents with `push(...list)`, which overflows the
 * stack past ~125,000 elements (375,000 incidents crashed `report --html`). 150,000 is past that
 * limit and quick enough to store here; the rendering of 300,000 is in test/unit/many-incidents.test.ts.
 */
describe('loading a dashboard over many stored incidents', () => {
  it('reads 150,000 stored incidents of one tenant without a stack overflow', async () => {
    const store = createMemoryStore();
    await ingestBytes(store, 'a.csv', deferralExport(5), { tenant: 'contoso' });
    for (let i = 0; i < 150_000; i++) {
      const group = { destination: `mx${i}.fabrikam.com` };
      await store.putIfAbsent(
        incidentKey('contoso', 'stuck', group),
        Buffer.from(JSON.stringify(openIncident({ ruleId: 'stuck', group, openedAt: '2026-11-20T04:00:00.000Z' }))),
      );
    }
    const input = await loadReportInput(store, { tenant: 'contoso', tenants: ['contoso'], range: '24h', now: Date.UTC(2026, 10, 20, 10) });
    expect(input.incidents).toHaveLength(150_000);
  }, 120_000);
});
