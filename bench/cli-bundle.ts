/**
 * The benches time the CLI as an install runs it: bundled (scripts/build-cli.mjs, run by `npm ci`).
 * bin/mailflow.js falls back to the TypeScript sources when the bundle is older than any of them,
 * which after an edit would time tsx's start and memory instead (0.2 s and ~30 MiB more): so the
 * bundle is built first, and a bench without one stops.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export function buildCliBundle(): void {
  execFileSync(process.execPath, ['scripts/build-cli.mjs'], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (!existsSync('dist/cli/BUILT')) throw new Error('bench: scripts/build-cli.mjs made no CLI bundle (see its message above)');
}
