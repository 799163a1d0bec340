/**
 * One dashboard view as a whole process: what `mailflow dashboard` renders per request, the
 * all-tenants view of one range, over the data folder. With API_PEER_BUNDLE (as bench/query.ts runs
 * it) the esbuild bundle, as the installed CLI runs bundled; run alone, the sources through tsx.
 * Usage: node dashboard-view.mjs <data-dir> <range: 24h|7d|30d>
 * Prints the page size, the view's headline (messages with problems) and the requests it made: it
 * reads through the dashboard's work budget, so a view the dashboard would refuse fails here too.
 */
import { loadApi } from './load-api.mjs';

const api = await loadApi(
  '../../functions/core/render/report.ts',
  '../../functions/adapters/fs-store.ts',
  '../../functions/core/store/work-budget.ts',
);
const { renderReport, createFsStore, withWorkBudget, MAX_REQUESTS_PER_QUESTION } = api;
const [dir, range] = process.argv.slice(2);
const store = withWorkBudget(createFsStore({ root: dir }), MAX_REQUESTS_PER_QUESTION, 'pick one tenant or a shorter range');
const { html, views } = await renderReport(store, {
  mode: 'live',
  lang: 'en',
  tenant: null,
  range,
  now: Date.now(),
});
const problems = /data-key="problems"[^>]*>.*?class="value">([^<]*)</s.exec(html)?.[1] ?? '?';
console.log(JSON.stringify({ views, kib: Math.round(html.length / 1024), problems, requests: store.touched }));
