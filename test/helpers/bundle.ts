import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';

/**
 * Bundles a handler the way infra/constructs/pipeline-function.ts has NodejsFunction do it (ESM,
 * SDK inside, the require banner), but for the Node 20 that runs the tests. Returns the file.
 */
export async function bundleHandler(entry: string): Promise<{ file: string; bytes: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'mailflow-bundle-'));
  const file = join(dir, 'index.mjs');
  const result = await build({
    entryPoints: [entry],
    outfile: file,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minify: true,
    metafile: true,
    banner: { js: "import { createRequire } from 'module';const require = createRequire(import.meta.url);" },
  });
  return { file, bytes: Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0) };
}
