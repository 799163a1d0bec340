/**
 * The code a peer runs: the esbuild bundle bench/query.ts builds (API_PEER_BUNDLE, as the
 * function's asset is built), or, run alone, these TypeScript modules through tsx.
 */
export async function loadApi(...modules) {
  const bundle = process.env.API_PEER_BUNDLE;
  if (bundle) return import(bundle);
  const { register } = await import('tsx/esm/api');
  register();
  const loaded = await Promise.all(modules.map((m) => import(new URL(m, import.meta.url).href)));
  return Object.assign({}, ...loaded);
}
