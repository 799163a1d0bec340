/**
 * What the API peer bundles: the query function's request handling and the data-folder store, built
 * by esbuild as the function's asset is (bench/query.ts), so the bench runs no TypeScript loader.
 * The dashboard's rendering and its work budget too, for a dashboard view run without the loader.
 */
export { handleApiRequest } from '../../functions/query/api.ts';
export { createFsStore } from '../../functions/adapters/fs-store.ts';
export { renderReport } from '../../functions/core/render/report.ts';
export { MAX_REQUESTS_PER_QUESTION, withWorkBudget } from '../../functions/core/store/work-budget.ts';
