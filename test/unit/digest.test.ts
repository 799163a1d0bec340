import { describe, expect, it } from 'vitest';
import type { HourlySummary } from '../../functions/core/aggregate/rollup.ts';
import { buildDigest } from '../../functions/core/render/digest.ts';
import { renderReport } from '../../functions/core/render/report.ts';
import { summaryKeysInRange } from '../../functions/core/query/query.ts';
import { readSummaries } from '../../functions/core/store/hourly.ts';
import { buildSnsPublish } from '../../functions/core/render/sns-message.ts';
import { parseRulesConfig } from '../../functions/core/rules/config.ts';
import { generated } from '../helpers/bytes.ts';
import { ingestBytes, snapshot } from '../helpers/ingest.ts';
import { createMemoryStore } from '../helpers/memory-store.ts';
import type { Incident } from '../../functions/core/store/incidents.ts';

/** Two days of the generated scenario, ingested with alerts: summaries and incidents of a real run. */
async function fixture() {
  const store = createMemoryStore();
  const rules = parseRulesConfig({
    rules: [
      { id: 'stuck', enabled: false },
      { id: 'queue', enabled: false },
    ],
  });
  await ingestBytes(store, 'day.csv', generated({ family: 'trace-detail', rows: 12_000, seed: 3, perHour: 150, hours: 30 }), {
    tenant: 'contoso',
    config: { alerts: { rules, notifier: { publish: async () => {} } } },
  });
  const snap = await snapshot(store);
  const summaries = Object.values(snap.summaries) as HourlySummary[];
  const incidents: Incident[] = [];
  for await (const o of store.list('state/incidents/contoso/'))
    incidents.push(JSON.parse(Buffer.from((await store.get(o.key))!.body).toString()));
  return { summaries, incidents };
}

const from = Date.parse('2026-11-20T06:00:00Z');
const to = Date.parse('2026-11-21T06:00:00Z');

describe('buildDigest', () => {
  it('says what changed, what the top codes mean and who acts, per hour, in English', async () => {
    const { summaries, incidents } = await fixture();
    const d = buildDigest({ tenant: 'contoso', lang: 'en', from, to, summaries, incidents });
    expect(d.text).toMatch(/^Mail flow digest: contoso, 2026-11-20T06:00Z → 2026-11-21T06:00Z \(24 h\)/);
    expect(d.text).toContain('Since the previous period:');
    expect(d.text).toContain('Top codes:');
    expect(d.text).toContain('Top destinations:');
    expect(d.text).toMatch(/Per hour \(max [\d,]+\): \|.{24}\|/);
    expect(d.text).toContain('mailflow query --tenant contoso --from 2026-11-20T06:00Z --to 2026-11-21T06:00Z');
    expect(d.json).toMatchObject({ kind: 'digest', tenant: 'contoso' });
    expect((d.json.perHour as number[]).length).toBe(24);
    expect(buildSnsPublish(d).Subject).toMatch(/^\[mailflow\] digest contoso 2026-11-20: \d+ messages affected$/);
    expect(d.text).toMatchSnapshot();
  });

  it('speaks Italian', async () => {
    const { summaries, incidents } = await fixture();
    const d = buildDigest({ tenant: 'contoso', lang: 'it', from, to, summaries, incidents });
    expect(d.text).toContain('Riepilogo del flusso di posta: contoso');
    expect(d.text).toContain('Codici principali:');
    expect(d.text).toMatchSnapshot();
  });

  it('reports a quiet period as quiet, and what went away', () => {
    const s = (hour: string, events: number): HourlySummary => ({
      schema: 1,
      tenant: 't',
      hour,
      rollupVersion: 1,
      sources: 1,
      totals: { delivered: 0, deferred: events, failed: 0, expired: 0, filtered: 0 },
      groups: [
        {
          outcome: 'deferred',
          code: '4.4.316',
          category: 'connection-refused',
          owner: 'our-servers',
          connector: null,
          destination: 'mail.contoso.com',
          domain: 'contoso.com',
          events,
          messages: events,
        },
      ],
    });
    const d = buildDigest({ tenant: 't', lang: 'en', from, to, summaries: [s('2026-11-19T10:00:00Z', 40)], incidents: [] });
    expect(d.text).toContain('No failures or deferrals in this period.');
    expect(d.text).toMatch(/gone\s+4\.4\.316\s+40 → 0/);
  });

  it('compares with nothing when the previous period has no data, and gives no rate over too few final outcomes (issue 12, 7)', () => {
    const group = (outcome: 'deferred' | 'failed', events: number) => ({
      outcome,
      code: outcome === 'failed' ? '5.1.10' : '4.4.316',
      category: outcome === 'failed' ? ('recipient' as const) : ('connection-refused' as const),
      owner: outcome === 'failed' ? ('recipient-side' as const) : ('our-servers' as const),
      connector: null,
      destination: 'mail.contoso.com',
      domain: 'contoso.com',
      events,
      messages: events,
    });
    const summary: HourlySummary = {
      schema: 1,
      tenant: 't',
      hour: new Date(to - 3_600_000).toISOString().replace('.000', ''),
      rollupVersion: 1,
      sources: 1,
      totals: { delivered: 0, deferred: 30, failed: 1, expired: 0, filtered: 0 },
      groups: [group('deferred', 30), group('failed', 1)],
    };
    const d = buildDigest({ tenant: 't', lang: 'en', from, to, summaries: [summary], incidents: [] });
    expect(d.text).toMatch(
      /\d+ messages failed, deferred or expired \(31 events, retries included\); too few final outcomes for a rate \(1 of 1\)/,
    );
    expect(d.text).not.toContain('100.0 %');
    expect(d.text).toContain('Since the previous period:\n  no data in the previous period: nothing to compare with');
    expect(d.text).not.toMatch(/new\s+4\.4\.316/);
  });
});

describe('summary-only data (issue 12, 9)', () => {
  it('names problems without a code once, and says to export their detail, with the command', async () => {
    const store = createMemoryStore();
    await ingestBytes(store, 'summary.csv', generated({ family: 'trace-summary', rows: 2000, seed: 9 }));
    const summaries = await readSummaries(store, summaryKeysInRange(store, {}));
    const hours = summaries.map((s) => Date.parse(s.hour));
    const d = buildDigest({
      tenant: 'default',
      lang: 'en',
      from: Math.min(...hours),
      to: Math.max(...hours) + 3_600_000,
      summaries,
      incidents: [],
    });
    expect(d.text).toContain('no code: summary export');
    expect(d.text).toContain('export the detail of these messages and ingest it too');
    expect(d.text).toContain('Get-MessageTraceDetailV2 -MessageTraceId $_.MessageTraceId -RecipientAddress $_.RecipientAddress');
    const { html } = await renderReport(store, {
      mode: 'static',
      lang: 'en',
      tenant: 'default',
      range: '30d',
      ranges: ['30d'],
      now: Math.max(...hours),
    });
    expect(html).toContain('<pre class="command">Get-MessageTraceV2 -Status Failed,Pending');
  });
});
