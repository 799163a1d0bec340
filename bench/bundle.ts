/**
 * The deployed functions' bundles: size, and cold import time against `node -e 0` (whole
 * processes, medians of 15). Used by bench/run.ts; runnable alone: npx tsx bench/bundle.ts
 */
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { bundleHandler } from '../test/helpers/bundle.ts';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function timeNode(args: string[], runs = 15): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    const r = spawnSync(process.execPath, args, { stdio: 'ignore' });
    if (r.status !== 0) throw new Error(`node ${args.join(' ')} failed`);
    times.push(performance.now() - t);
  }
  return median(times);
}

export async function bundleStats(): Promise<Array<{ name: string; bytes: number; importMs: number; baselineMs: number }>> {
  const out = [];
  for (const [name, entry] of [['ingest', 'functions/ingest/handler.ts'], ['reconcile', 'functions/reconcile/handler.ts']] as const) {
    const { file, bytes } = await bundleHandler(entry);
    const baselineMs = timeNode(['-e', '0']);
    const importMs = timeNode(['--input-type=module', '-e', `await import(${JSON.stringify(pathToFileURL(file).href)})`]);
    out.push({ name, bytes, importMs, baselineMs });
  }
  return out;
}

if (process.argv[1]?.endsWith('bundle.ts')) {
  for (const s of await bundleStats()) console.log(`${s.name}: ${(s.bytes / 1024).toFixed(0)} KiB (incl. source map: no), import +${(s.importMs - s.baselineMs).toFixed(0)} ms over node -e 0 (${s.baselineMs.toFixed(0)} ms)`);
}
