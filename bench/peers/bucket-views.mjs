/**
 * The views of all tenants read from a bucket, as the deployed pipeline's reader sees them: one
 * live dashboard view per range (what `mailflow dashboard --bucket` renders per request) and the
 * query function's `/v1/summary` of the last 7 days, each timed inside one process (after a first
 * request has warmed the client), with the requests each made (when the proxy in front counts).
 * Runs the TypeScript sources of the tree it is in, so bench/ab-views-bucket.sh can run it in another commit.
 * Usage: node bucket-views.mjs <endpoint> <bucket> [the URL that counts requests: bench/peers/lag-proxy.mjs's /__requests]
 */
import { loadApi } from './load-api.mjs';

const api = await loadApi(
  '../../functions/core/render/report.ts',
  '../../functions/core/render/report-load.ts',
  '../../functions/query/api.ts',
  '../../functions/core/query/query.ts',
  '../../functions/adapters/s3-client.ts',
  '../../functions/adapters/s3-store.ts',
);
const [endpoint, bucket, countUrl] = process.argv.slice(2);
const store = api.createS3Store(api.createS3Client({ endpoint, forcePathStyle: true }), { bucket, unquotedIfMatch: true });
const requests = async () => (countUrl ? (await (await fetch(countUrl)).json()).n : null);
const tenants = await api.tenantsWithResults(store);
await requests();
const out = { tenants: tenants.length };
const timed = async (name, work) => {
  const t = performance.now();
  const check = await work();
  out[name] = { ms: Math.round(performance.now() - t), requests: await requests(), check };
};
for (const range of ['24h', '7d', '30d'])
  await timed(`view ${range}`, async () => {
    const { html } = await api.renderReport(store, { mode: 'live', lang: 'en', tenant: null, range, tenants, now: Date.now() });
    return html.length;
  });
const until = Date.parse(new Date(Date.now()).toISOString().slice(0, 10));
await timed('API /v1/summary, 7 days', async () => {
  // The data's own last week: the generated data of bench/query.ts ends on its own date.
  const { to } = await api.loadReportInput(store, { tenant: null, tenants, range: '24h', now: until });
  await requests();
  const from = new Date(to - 7 * 86_400_000).toISOString();
  const r = await api.handleApiRequest(
    { method: 'GET', path: '/v1/summary', query: { from, to: new Date(to).toISOString(), by: 'tenant,code' } },
    store,
    to,
  );
  return r.statusCode === 200 ? JSON.parse(r.body).rows.reduce((n, x) => n + x.events, 0) : `status ${r.statusCode}`;
});
console.log(JSON.stringify(out));
