import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createFsStore } from '../../functions/adapters/fs-store.ts';
import { parseRulesConfig } from '../../functions/core/rules/config.ts';
import { deferrals, recorder } from '../helpers/alerts.ts';
import { ingestBytes } from '../helpers/ingest.ts';

/** Volume: many uploads at once on the data folder, where every one of them crosses a rule's threshold. */
describe('alerts under volume (O32, R1)', () => {
  it('O32, R1: 300 threshold-crossing files ingested concurrently give exactly one open notification', async () => {
    const store = createFsStore({ root: mkdtempSync(join(tmpdir(), 'mailflow-alerts-')) });
    const { sent, notifier } = recorder();
    const alerts = { rules: parseRulesConfig({}), notifier };
    const receipts = await Promise.all(
      Array.from({ length: 300 }, (_, i) => ingestBytes(store, `f${i}.csv`, deferrals(i, 25, i % 50), { config: { alerts } })),
    );
    expect(receipts.every((r) => r.status === 'ingested')).toBe(true);
    expect(sent.map((n) => (n.json as { transition: string }).transition)).toEqual(['open']);
  }, 120_000);
});
