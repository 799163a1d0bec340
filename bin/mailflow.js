#!/usr/bin/env node
// Runs the CLI bundle that `npm ci` builds (scripts/build-cli.mjs) while it is newer than every
// source file, else the TypeScript sources through tsx: `npx mailflow …` works right after
// `npm ci`, and an edited source is never hidden behind a stale bundle.
import { readdirSync, statSync } from 'node:fs';

// The AWS SDK warns on every run that its releases after January 2027 need Node 22: a note for
// whoever updates the SDK in the lockfile, not for each admin's terminal.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const root = new URL('../', import.meta.url);
const { main } = bundleIsFresh() ? await import('../dist/cli/main.mjs') : await fromSources();
process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr });

function bundleIsFresh() {
  if (process.env.MAILFLOW_CLI_FROM_SOURCES === 'true') return false;
  const built = mtime(new URL('dist/cli/BUILT', root));
  return built > 0 && built >= newest(new URL('functions/', root)) && built >= mtime(new URL('package-lock.json', root));
}

function newest(dir) {
  let max = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const url = new URL(entry.name + (entry.isDirectory() ? '/' : ''), dir);
    max = Math.max(max, entry.isDirectory() ? newest(url) : mtime(url));
  }
  return max;
}

function mtime(url) {
  try {
    return statSync(url).mtimeMs;
  } catch {
    return 0;
  }
}

async function fromSources() {
  const { register } = await import('tsx/esm/api');
  register();
  return import('../functions/cli/main.ts');
}
