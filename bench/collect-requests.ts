/**
 * `npx tsx bench/collect-requests.ts`: the Graph requests `mailflow collect` makes per tenant and
 * day, run every 15 minutes, for a tenant of 10,000 and one of 1,000,000 messages a day, measured
 * against the loopback stand-in (test/helpers/graph-standin.ts) in virtual time: 96 runs over a day
 * after a warm-up run, each re-reading the last 4 hours, detail events of failed and pending
 * messages with what is left of the budget. Writes bench/results/collect-requests-<date>.md.
 *
 * Environment: COLLECT_SIZES (messages a day, comma-separated; default 10000,1000000).
 * The million-a-day tenant holds ~1.25 million generated messages in memory: run with
 * NODE_OPTIONS=--max-old-space-size=8192.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createGraphClient } from '../functions/adapters/graph-client.ts';
import { collectTenant } from '../functions/core/flows/collect-tenant.ts';
import { readCollectState } from '../functions/core/store/collect-state.ts';
import { generateMessages, type GenMessage } from '../functions/core/generate/scenario.ts';
import { silentLogger, type Clock } from '../functions/core/ports.ts';
import { startGraphStandin, testCertificates } from '../test/helpers/graph-standin.ts';
import { createMemoryStore } from '../test/helpers/memory-store.ts';

const HOUR = 3_600_000;
const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 1);
const SIZES = (process.env.COLLECT_SIZES ?? '10000,1000000').split(',').map(Number);
const certs = testCertificates();

async function measure(perDay: number) {
  const messages: GenMessage[] = [];
  for (const m of generateMessages({ seed: 5, perHour: perDay / 24, start: T0 })) {
    if (m.received >= T0 + 31 * HOUR) break;
    messages.push(m);
  }
  let now = T0 + 6 * HOUR;
  const clock: Clock = { now: () => new Date(now), sleep: async (ms) => void (now += ms) };
  const standin = await startGraphStandin(
    { clientId: 'bench', appCertificate: certs.appCert, now: () => now, tenants: [{ id: 'tenant', messages }] },
    certs,
  );
  const graph = createGraphClient({
    entraTenant: 'tenant',
    clientId: 'bench',
    certificatePem: certs.appCert,
    privateKeyPem: certs.appKey,
    graphUrl: standin.url,
    authorityUrl: standin.url,
    ca: standin.ca,
  });
  const store = createMemoryStore();
  const ports = { graph, store, clock, logger: silentLogger, deliver: async () => {} };
  // Warm-up: as if runs had been going on; then a day of runs every 15 minutes.
  await collectTenant(ports, { tenant: 't', from: now - 4 * HOUR });
  const log = standin.log.get('tenant')!;
  const before = { list: log.list, detail: log.detail, times: log.times.length };
  let budgetStops = 0;
  let rows = 0;
  let owed = 0;
  let rechecks = 0;
  for (let run = 0; run < 96; run++) {
    now += 15 * MIN;
    const r = await collectTenant(ports, { tenant: 't' });
    if (r.stopped === 'budget') budgetStops++;
    if (run % 12 === 11)
      process.stderr.write(`  ${run + 1}/96 runs: ${log.list - before.list} list, ${log.detail - before.detail} detail requests so far\n`);
    rows += r.rows;
    owed = r.owed;
    rechecks += r.rechecks ?? 0;
  }
  await standin.close();
  const times = log.times.slice(before.times).sort((a, b) => a - b);
  let peak = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i]! - times[j]! >= 5 * MIN) j++;
    peak = Math.max(peak, i - j + 1);
  }
  const newRows = messages
    .filter((m) => m.received >= T0 + 6 * HOUR && m.received < T0 + 30 * HOUR)
    .reduce((n, m) => n + m.recipients.length, 0);
  const { state } = await readCollectState(store, 't');
  const dropped = state.owedDropped ?? 0;
  return {
    perDay,
    dropped,
    list: log.list - before.list,
    detail: log.detail - before.detail,
    throttled: log.throttled,
    peak,
    budgetStops,
    rows,
    newRows,
    owed,
    rechecks,
    watched: state.watch?.length ?? 0,
  };
}

const results = [];
for (const size of SIZES) {
  process.stderr.write(`measuring a tenant of ${size.toLocaleString('en-US')} messages a day…\n`);
  results.push(await measure(size));
}
const date = new Date().toISOString().slice(0, 10);
const md = `# Graph requests of mailflow collect per tenant and day, ${date}

Against the loopback stand-in (Microsoft's documented limits: 100 requests per 5 minutes per tenant,
shared by list and detail calls; pages of at most 5,000 rows), in virtual time: one warm-up run,
then 96 runs 15 minutes apart (a day), each re-reading the last 4 hours; detail events for failed
and pending messages with what is left of the default budget (80 per 5 minutes), then, hourly, those
of messages still pending (until they settle, 3 days at most). Generated mail
(\`generateMessages\`, seed 5), ~1.15 recipients a message.

| messages a day | rows new that day | rows read (re-reads included) | list requests | detail requests | of which pending read again | requests a day | peak per 5 min | runs that spent the budget | details still owed | pending watched at the end | rows left without details, queue full (a re-read row again each time) | 429s |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
${results
  .map(
    (r) =>
      `| ${r.perDay.toLocaleString('en-US')} | ${r.newRows.toLocaleString('en-US')} | ${r.rows.toLocaleString('en-US')} | ${r.list.toLocaleString('en-US')} | ${r.detail.toLocaleString('en-US')} | ${r.rechecks.toLocaleString('en-US')} | ${(r.list + r.detail).toLocaleString('en-US')} | ${r.peak} | ${r.budgetStops} of 96 | ${r.owed.toLocaleString('en-US')} | ${r.watched.toLocaleString('en-US')} | ${r.dropped.toLocaleString('en-US')} | ${r.throttled} |`,
  )
  .join('\n')}
`;
mkdirSync('bench/results', { recursive: true });
writeFileSync(`bench/results/collect-requests-${date}.md`, md);
process.stdout.write(md);
