#!/usr/bin/env node
// Runs the TypeScript CLI directly (tsx registers an ESM loader), so `npx mailflow …`
// works right after `npm ci` with no build step.
import { register } from 'tsx/esm/api';

// The AWS SDK warns on every run that its releases after January 2027 need Node 22: a note for
// whoever updates the SDK in the lockfile, not for each admin's terminal.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
const { main } = await import('../functions/cli/main.ts');
process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr });
