/**
 * The query function's work, as a whole process: `/v1/summary` answered by `handleApiRequest` over
 * the data folder (the same code the Lambda runs over the bucket, with its work budget), bundled
 * by esbuild as the function's asset is (API_PEER_BUNDLE, set by bench/query.ts).
 * Usage: node api-summary.mjs <data-dir> <from ISO> <to ISO> [tenant]
 * Prints the status, and the events of the rows when it is a 200.
 */
import { loadApi } from './load-api.mjs';

const api = await loadApi('../../functions/query/api.ts', '../../functions/adapters/fs-store.ts');
const { handleApiRequest, createFsStore } = api;
const [dir, from, to, tenant] = process.argv.slice(2);
const query = { from, to, by: 'tenant,code', ...(tenant ? { tenant } : {}) };
const r = await handleApiRequest({ method: 'GET', path: '/v1/summary', query }, createFsStore({ root: dir }), Date.parse(to));
const events = r.statusCode === 200 ? JSON.parse(r.body).rows.reduce((n, x) => n + x.events, 0) : null;
console.log(JSON.stringify({ status: r.statusCode, events, ...(r.statusCode === 200 ? {} : { body: r.body.slice(0, 300) }) }));
