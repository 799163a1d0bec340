import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface ChildResult {
  /** Whatever the child printed as its last JSON line. */
  result: Record<string, unknown>;
  /** Peak resident set size of the child, in MiB (from its own resource usage). */
  peakRssMiB: number;
  /** Peak resident set size after imports, before the work, in MiB. */
  baselineRssMiB: number;
}

/**
 * Runs `test/helpers/children/<name>.ts` in a fresh Node process so memory is measured without
 * vitest's own heap in the way (`nodeArgs` such as a heap cap go to Node). The child prints one JSON line: { result, peakRssKiB, baselineRssKiB }.
 */
export function runChild(name: string, args: string[] = [], timeoutMs = 60_000, nodeArgs: string[] = []): Promise<ChildResult> {
  const script = fileURLToPath(new URL(`./children/${name}.ts`, import.meta.url));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => {
      clearTimeout(timer);
      const last = out.trim().split('\n').pop() ?? '';
      try {
        const parsed = JSON.parse(last) as { result: Record<string, unknown>; peakRssKiB: number; baselineRssKiB: number };
        resolve({ result: parsed.result, peakRssMiB: parsed.peakRssKiB / 1024, baselineRssMiB: parsed.baselineRssKiB / 1024 });
      } catch {
        reject(new Error(`child ${name} exited ${code} without a result:\n${out}\n${err}`));
      }
    });
  });
}
