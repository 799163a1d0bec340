/**
 * The deployed functions' bundles, as `cdk synth` writes them: size, and cold import time on the
 * Lambda runtime's Node (24, test/lambda-runtime/) against `node -e 0` (whole processes, medians
 * of 15). With Powertools Tracer installed (`npm install --no-save @aws-lambda-powertools/tracer`),
 * also what the ingest bundle would cost with it. Used by bench/run.ts; runnable alone, writing
 * bench/results/bundles-<date>.md:   npx tsx bench/bundle.ts
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const NODE24 = resolve('test/lambda-runtime/node_modules/node/bin/node');
const OUT = resolve('bench/data/cdk.out');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** The tests' Lambda runtime (Node 24) is installed by their setup; a bench on a fresh clone installs it here. */
function ensureNode24(): void {
  if (existsSync(NODE24)) return;
  console.error('bench: installing the Lambda runtime (Node 24) into test/lambda-runtime/ (once, ~60 s)…');
  execFileSync('npm', ['ci', '--prefix', 'test/lambda-runtime', '--no-audit', '--no-fund', '--loglevel=error'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

function timeNode(args: string[], runs = 15): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    const r = spawnSync(NODE24, args, { stdio: 'ignore', env: { PATH: process.env.PATH, AWS_REGION: 'us-east-1' } });
    if (r.status !== 0) throw new Error(`${NODE24} ${args.join(' ')} failed: ${r.error?.message ?? `exit ${r.status}`}`);
    times.push(performance.now() - t);
  }
  return median(times);
}

const importMs = (file: string) => timeNode(['--input-type=module', '-e', `await import(${JSON.stringify(pathToFileURL(file).href)})`]);

export interface BundleStat {
  name: string;
  bytes: number;
  importMs: number;
  baselineMs: number;
}

/** Synthesizes with the cdk CLI (as deploy does) and measures each function's asset. */
export async function bundleStats(): Promise<BundleStat[]> {
  ensureNode24();
  rmSync(OUT, { recursive: true, force: true });
  // With tenants configured for collection, so the collector's bundle is measured too.
  const context = ['-c', 'rulesFile=test/fixtures/collect.config.json'];
  execFileSync('npx', ['cdk', 'synth', '--quiet', '--no-notices', '--no-version-reporting', ...context, '--output', OUT], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true' },
  });
  const template = JSON.parse(readFileSync(join(OUT, 'Mailflow.template.json'), 'utf8')) as {
    Resources: Record<string, { Type: string; Metadata?: Record<string, string> }>;
  };
  const out: BundleStat[] = [];
  const baselineMs = timeNode(['-e', '0']);
  for (const [id, r] of Object.entries(template.Resources)) {
    const asset = r.Type === 'AWS::Lambda::Function' ? r.Metadata?.['aws:asset:path'] : undefined;
    const name = /^(Ingest|Reconcile|Digest|Query|Collect)Function/.exec(id)?.[1];
    if (!asset || !name) continue;
    const file = join(OUT, asset, 'index.mjs');
    out.push({ name: name.toLowerCase(), bytes: statSync(file).size, importMs: importMs(file), baselineMs });
  }
  const tracer = await tracerVariant(baselineMs);
  if (tracer) out.push(tracer);
  return out;
}

/** The ingest handler bundled the same way with Powertools Tracer created at load, if Tracer is installed. */
async function tracerVariant(baselineMs: number): Promise<BundleStat | null> {
  try {
    createRequire(import.meta.url).resolve('@aws-lambda-powertools/tracer');
  } catch {
    return null;
  }
  const dir = mkdtempSync(join(tmpdir(), 'mailflow-tracer-'));
  const entry = join(dir, 'entry.ts');
  writeFileSync(
    entry,
    `import { Tracer } from '@aws-lambda-powertools/tracer';\nexport { handler } from ${JSON.stringify(resolve('functions/ingest/handler.ts'))};\nexport const tracer = new Tracer({ serviceName: 'mailflow-ingest' });\n`,
  );
  const file = join(dir, 'index.mjs');
  await build({
    entryPoints: [entry],
    outfile: file,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    minify: true,
    nodePaths: [resolve('node_modules')],
    banner: { js: "import { createRequire } from 'module';const require = createRequire(import.meta.url);" },
  });
  return { name: 'ingest + Tracer', bytes: statSync(file).size, importMs: importMs(file), baselineMs };
}

export function bundleTable(stats: BundleStat[]): string {
  return `| function | bundle | cold import on Node 24, added |\n| --- | --- | --- |\n${stats.map((b) => `| ${b.name} | ${(b.bytes / 1024).toFixed(0)} KiB | +${(b.importMs - b.baselineMs).toFixed(0)} ms (node -e 0: ${b.baselineMs.toFixed(0)} ms) |`).join('\n')}\n`;
}

if (process.argv[1]?.endsWith('bundle.ts')) {
  const stats = await bundleStats();
  const table = bundleTable(stats);
  process.stdout.write(table);
  mkdirSync('bench/results', { recursive: true });
  const file = `bench/results/bundles-${new Date().toISOString().slice(0, 10)}.md`;
  writeFileSync(
    file,
    `# Function bundles, ${new Date().toISOString().slice(0, 10)}\n\nThe assets \`cdk synth\` writes (esbuild, minified, SDK inside), imported cold by Node ${spawnSync(NODE24, ['--version'], { encoding: 'utf8' }).stdout.trim()} (the nodejs24.x runtime's major), medians of 15 whole processes, 2 cores. Targets: under 1 MB, under 150 ms added.\n\n${table}`,
  );
  process.stdout.write(`written to ${file}\n`);
}
