/**
 * Ingests rows that name tens of thousands of recipients and 200 KB host names into a data folder,
 * then a good export after them, in this (child) process, and reports the receipts, the time and
 * peak memory. Used by test/bounds/hostile-input.test.ts.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFsStore } from '../../../functions/adapters/fs-store.ts';
import { generated } from '../bytes.ts';
import { ingestBytes } from '../ingest.ts';

const HEADER =
  '#TYPE Microsoft.Exchange.Management.TransportLogSearchTasks.MessageTrackingEvent\r\n' +
  '"Timestamp","EventId","Source","Sender","Recipients","RecipientStatus","MessageSubject","MessageId","InternalMessageId","ServerHostname","ConnectorId","TotalBytes"\r\n';

function row(n: number, recipients: number, host: string): string {
  const list = Array.from({ length: recipients }, (_, i) => `u${i}@f.io`).join(';');
  return `"11/20/2026 3:46:03 PM","FAIL","SMTP","ceo@contoso.com","{${list}}","{550 5.1.1 User unknown}","x","<m${n}@contoso.com>","${n}","${host}","c","3"\r\n`;
}

const hugeHost = 'a'.repeat(200_000) + '.fabrikam.com';
const hostile = Buffer.from(
  HEADER +
    row(1, 60_000, hugeHost) + // line 3: 60,000 recipients and a 200 KB host name, 0.9 MB
    row(2, 9_000, hugeHost) + // line 4: a recipient count within the cap, the host name not
    row(3, 9_000, 'mx1.fabrikam.com') + // line 5: 9,000 recipients, counted
    row(4, 1, 'mx1.fabrikam.com'), // line 6
);
const good = generated({ family: 'trace-summary', rows: 500, seed: 4 });

const store = createFsStore({ root: mkdtempSync(join(tmpdir(), 'mailflow-rows-')) });
const baselineRssKiB = process.resourceUsage().maxRSS;
const started = performance.now();
const receipts = [];
for (const [name, bytes] of [
  ['hostile.csv', hostile],
  ['good.csv', good],
] as const) {
  const r = await ingestBytes(store, name, bytes);
  receipts.push({
    file: name,
    status: r.status,
    bytes: bytes.length,
    counted: r.counted,
    rejected: r.rejectedRows.samples,
  });
}
const result = { receipts, seconds: (performance.now() - started) / 1000 };
process.stdout.write(`${JSON.stringify({ result, peakRssKiB: process.resourceUsage().maxRSS, baselineRssKiB })}\n`);
