/**
 * An outage as wide as the internet: `n` destinations (default 500,000), each with one message
 * deferred at 00:mm and again 13 hours later with no final outcome, so every destination is over
 * the stuck rule's threshold. Ingested with the default rules into a data folder in this (child)
 * process; reports the alerts sent, the incident objects and the deferral state's size, the time
 * and peak memory. Used by test/bounds/outage.test.ts.
 */
import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFsStore } from '../../../functions/adapters/fs-store.ts';
import { parseRulesConfig } from '../../../functions/core/rules/config.ts';
import { readDeferralState } from '../../../functions/core/store/deferral-state.ts';
import { recorder } from '../alerts.ts';
import { fastClock } from '../ingest.ts';
import { ingestObject } from '../../../functions/core/flows/ingest-object.ts';
import { silentLogger } from '../../../functions/core/ports.ts';

const n = Number(process.argv[2] ?? 500_000);
const led = (i: number) => `"Reason: [{LED=450 4.4.316 Connection refused [LastAttemptedServerName=mx.d${i}.example]}]"`;
let bytes = 0;
/** Generated as it is read, so the child's memory is the ingestion's, not the file's. */
async function* outage(): AsyncGenerator<Uint8Array> {
  let text = '"Date","Event","Detail","MessageTraceId","RecipientAddress"\r\n';
  for (const hour of ['00', '13'])
    for (let i = 0; i < n; i++) {
      text += `"2026-11-20T${hour}:${String(i % 60).padStart(2, '0')}:00Z","Defer",${led(i)},"m${i}","u${i}@d${i}.example"\r\n`;
      if (text.length > 1 << 16 || (hour === '13' && i === n - 1)) {
        const chunk = Buffer.from(text);
        bytes += chunk.length;
        text = '';
        yield chunk;
      }
    }
}

const root = mkdtempSync(join(tmpdir(), 'mailflow-outage-'));
const store = createFsStore({ root });
const { sent, notifier } = recorder();
const baselineRssKiB = process.resourceUsage().maxRSS;
const started = performance.now();
const receipt = await ingestObject(
  { origin: 'local:test', key: 'incoming/default/outage.csv', tenant: 'default', etag: `"outage-${n}"`, file: 'outage.csv' },
  outage(),
  { store, clock: fastClock, logger: silentLogger },
  { alerts: { rules: parseRulesConfig({}), notifier } },
);
const seconds = (performance.now() - started) / 1000;

const sizes = (dir: string): number[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? sizes(join(dir, d.name)) : [statSync(join(dir, d.name)).size],
  );
const incidents = sizes(join(root, 'state', 'incidents'));
const state = await readDeferralState(store, 'default');
const result = {
  bytes,
  status: receipt.status,
  counted: receipt.counted,
  seconds,
  alerts: sent.length,
  alertsByRule: Object.fromEntries(
    [...new Set(sent.map((s) => (s.json as { ruleId: string }).ruleId))].map((r) => [
      r,
      sent.filter((s) => (s.json as { ruleId: string }).ruleId === r).length,
    ]),
  ),
  incidentObjects: incidents.length,
  incidentBytes: incidents.reduce((a, b) => a + b, 0),
  stateBytes: sizes(join(root, 'state', 'deferrals'))[0] ?? 0,
  tracked: state?.entries.length ?? 0,
  dropped: state?.dropped?.count ?? 0,
};
process.stdout.write(`${JSON.stringify({ result, peakRssKiB: process.resourceUsage().maxRSS, baselineRssKiB })}\n`);
