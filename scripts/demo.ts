/**
 * `npm run demo`: the main job on local files, with nothing but Node. Generates sample exports of
 * several families and encodings next to the bundled real-looking ones, inspects them, and
 * explains a few codes, printing each command as an admin would type it.
 */
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../functions/cli/main.ts';

const io = { stdout: process.stdout, stderr: process.stderr };
const out = 'demo-exports';
const bundled = 'test/fixtures/exports';

async function run(args: string[]): Promise<number> {
  const quote = (a: string) => (!/[\s'"[\]{};()]/.test(a) ? a : a.includes("'") ? `"${a}"` : `'${a}'`);
  const line = `$ mailflow ${args.map(quote).join(' ')}`;
  process.stdout.write(process.stdout.isTTY ? `\n\x1b[1m${line}\x1b[0m\n` : `\n${line}\n`);
  return main(args, io);
}

mkdirSync(out, { recursive: true });
const samples: Array<[family: string, encoding: string, extra: string[], file: string]> = [
  ['trace-detail', 'utf-16le', [], 'trace-detail-utf16.csv.gz'],
  ['trace-summary', 'utf-8-bom', ['--delimiter', ';', '--date-style', 'dmy'], 'trace-summary-semicolon.csv'],
  ['eac-extended', 'utf-16le-nobom', [], 'eac-extended-utf16-nobom.csv'],
  ['onprem-tracking-log', 'utf-8-bom', [], 'MSGTRK20261120-1.LOG'],
];
let failures = 0;
for (const [family, encoding, extra, file] of samples) {
  failures += await run(['generate', '--family', family, '--rows', '5000', '--encoding', encoding, ...extra, '--seed', '42', '--out', join(out, file)]);
}
failures += await run(['inspect', ...samples.map(([, , , file]) => join(out, file))]);
failures += await run(['inspect', ...readdirSync(bundled).sort().map((f) => join(bundled, f))]);
failures += await run(['explain', '4.4.316']);
failures += await run(['explain', "Remote server returned '550 5.4.317 Message expired, cannot connect to remote server(451 5.7.3 STARTTLS is required to send mail)'"]);
failures += await run(['explain', '--lang', 'it', '550-5.7.26 This mail has been blocked because the sender is unauthenticated']);
failures += await run(['explain', '--json', '5.7.64']);
process.stdout.write(`\nSample exports are in ${out}/ (generated) and ${bundled}/ (bundled). Try: npx mailflow inspect <file>\n`);
process.exitCode = failures ? 1 : 0;
