/**
 * Should the data bucket be versioned? What versioning would keep: every compare-and-swap
 * rewrite of a rollup, summary or SQL companion leaves the previous version behind as a
 * noncurrent version. One busy tenant's day: 24 hourly exports, each covering the 2 hours before
 * it (how admins export: overlapping windows), ingested in order into a store that counts the
 * bytes each rewrite replaces. Writes bench/results/versioning-<date>.md.
 *   npx tsx bench/versioning.ts
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { ingestObject } from '../functions/core/flows/ingest-object.ts';
import { encodeChunks, renderExport } from '../functions/core/generate/render.ts';
import { silentLogger, systemClock, type ObjectStore } from '../functions/core/ports.ts';
import { once } from '../test/helpers/bytes.ts';
import { createMemoryStore } from '../test/helpers/memory-store.ts';

const HOUR = 3_600_000;
const DAY = Date.UTC(2026, 10, 20);
const inner = createMemoryStore();
let replaced = 0;
let rewrites = 0;
let puts = 0;
const store: ObjectStore = {
  get: (k) => inner.get(k),
  list: (p) => inner.list(p),
  putIfAbsent: (k, b) => (puts++, inner.putIfAbsent(k, b)),
  async putIfMatch(k, b, e) {
    const before = inner.objects.get(k)?.body.length ?? 0;
    const r = await inner.putIfMatch(k, b, e);
    replaced += before;
    rewrites++;
    puts++;
    return r;
  },
};

let uploaded = 0;
for (let h = 0; h < 24; h++) {
  const bytes = Buffer.concat([
    ...encodeChunks(
      renderExport({ family: 'trace-detail', rows: 6000, perHour: 1500, seed: 1, start: DAY + (h - 1) * HOUR, hours: 2 }),
      'utf-8',
    ),
  ]);
  uploaded += bytes.length;
  const etag = `"${createHash('sha256').update(bytes).digest('hex')}"`;
  await ingestObject({ origin: 'bench', key: `incoming/contoso/export-${h}.csv`, tenant: 'contoso', etag }, once(bytes), {
    store,
    clock: systemClock,
    logger: silentLogger,
  });
}
let current = 0;
for (const [key, o] of inner.objects) if (key.startsWith('results/')) current += o.body.length;
const mb = (n: number) => (n / 1e6).toFixed(1);
const md = `# Versioning the data bucket? (${new Date().toISOString().slice(0, 10)})

One tenant's day: 24 hourly Get-MessageTraceDetail exports of 6,000 rows, each covering the 2 hours
before it (overlapping windows, as admins export), ingested in order (\`npx tsx bench/versioning.ts\`).

| | |
| --- | --- |
| uploads | 24 (${mb(uploaded)} MB) |
| PUTs to results/ and state/ | ${puts.toLocaleString('en-US')}, of which compare-and-swap rewrites ${rewrites.toLocaleString('en-US')} |
| current objects under results/ at the end of the day | ${mb(current)} MB |
| bytes the rewrites replaced (noncurrent versions, if versioned) | ${mb(replaced)} MB |

Versioned, each such day would add ${mb(replaced)} MB of noncurrent versions next to its ${mb(current)} MB of current
results (${(replaced / current).toFixed(2)}×), ${mb(replaced * 30)} MB per tenant like this one when noncurrent versions are kept
30 days, and none of it is read by anything (queries read the current summaries). Results are
derived: a lost object is rebuilt by re-ingesting its sources. So the data bucket is not versioned;
uploads (evidence, read by the version their event names) are, in a bucket of their own.
`;
mkdirSync('bench/results', { recursive: true });
const file = `bench/results/versioning-${new Date().toISOString().slice(0, 10)}.md`;
writeFileSync(file, md);
process.stdout.write(md + `\nwritten to ${file}\n`);
