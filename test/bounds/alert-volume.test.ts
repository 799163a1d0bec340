import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createFsStore } from '../../functions/adapters/fs-store.ts';
import type { Notification } from '../../functions/core/ports.ts';
import { parseRulesConfig } from '../../functions/core/rules/config.ts';
import { utf8 } from '../helpers/bytes.ts';
import { ingestBytes } from '../helpers/ingest.ts';

/** Volume: many uploads at once on the data folder, where every one of them crosses a rule's threshold. */
const LED = (code: string) =>
  `"Reason: [{LED=450 ${code} Connection refused [LastAttemptedServerName=mail.contoso.com]};{MSG=};{FQDN=};{IP=};{LRT=}]"`;

function deferrals(file: number, n: number, minute = 10): Uint8Array {
  let text = '"Date","Event","Detail","MessageTraceId","RecipientAddress"\r\n';
  for (let i = 0; i < n; i++)
    text += `"2026-11-20T03:${String((minute + i) % 60).padStart(2, '0')}:00Z","Defer",${LED('4.4.316')},"f${file}-m${i}","u${i}@contoso.com"\r\n`;
  return utf8(text);
}

function recorder() {
  const sent: Notification[] = [];
  return { sent, notifier: { publish: async (n: Notification) => void sent.push(n) } };
}

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
