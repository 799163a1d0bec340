#!/usr/bin/env node
// Runs the TypeScript CLI directly (tsx registers an ESM loader), so `npx mailflow …`
// works right after `npm ci` with no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../functions/cli/main.ts');
process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr });
