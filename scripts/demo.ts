/**
 * `npm run demo`: the main job on local files, with nothing but Node. Generates sample exports of
 * several families and encodings next to the bundled real-looking ones, ingests them into a fresh
 * data folder (one file twice, and two exports that overlap, to show nothing is counted twice),
 * then asks what failed, why and when, printing each command as an admin would type it.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../functions/cli/main.ts';
import { createFsStore } from '../functions/adapters/fs-store.ts';
import { queryStore } from '../functions/core/query/query.ts';

const io = { stdout: process.stdout, stderr: process.stderr };
const out = 'demo-exports';
const bundled = 'test/fixtures/exports';
const data = '.mailflow-demo';

async function run(args: string[]): Promise<number> {
  const quote = (a: string) => (!/[\s'"[\]{};()]/.test(a) ? a : a.includes("'") ? `"${a}"` : `'${a}'`);
  const line = `$ mailflow ${args.map(quote).join(' ')}`;
  process.stdout.write(process.stdout.isTTY ? `\n\x1b[1m${line}\x1b[0m\n` : `\n${line}\n`);
  return main(args, io);
}

function say(text: string) {
  process.stdout.write(`\n# ${text}\n`);
}

rmSync(data, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
// Alert rules for the demo: the generated exports leave many messages pending for hours, so the
// "stuck" rule would fire for every partner; keep the output to the connector outage.
const rules = join(out, 'demo-rules.json');
writeFileSync(
  rules,
  JSON.stringify(
    {
      rules: [
        { id: 'stuck', enabled: false },
        { id: 'queue', enabled: false },
      ],
    },
    null,
    2,
  ),
);
let failures = 0;

say('Sample exports in five families and encodings, one a Microsoft Graph page (deterministic: same seed, same files).');
const samples: Array<[family: string, encoding: string, extra: string[], file: string]> = [
  ['trace-detail', 'utf-16le', ['--seed', '42'], 'trace-detail-utf16.csv.gz'],
  ['trace-summary', 'utf-8-bom', ['--delimiter', ';', '--date-style', 'dmy', '--seed', '43'], 'trace-summary-semicolon.csv'],
  ['eac-extended', 'utf-16le-nobom', ['--seed', '44'], 'eac-extended-utf16-nobom.csv'],
  ['onprem-tracking-log', 'utf-8-bom', ['--seed', '45'], 'MSGTRK20261120-1.LOG'],
  // A Microsoft Graph messageTraces page, as Graph returns it (what `mailflow collect` saves).
  ['graph-trace', 'utf-8', ['--seed', '46'], 'graph-messageTraces-page.json'],
];
for (const [family, encoding, extra, file] of samples) {
  failures += await run(['generate', '--family', family, '--rows', '4800', '--encoding', encoding, ...extra, '--out', join(out, file)]);
}
failures += await run(['inspect', join(out, samples[0]![3])]);

say('Ingest everything into a fresh data folder: receipts, hourly rollups, summaries, and alerts.');
failures += await run([
  'ingest',
  '--data-dir',
  data,
  '--config',
  rules,
  ...samples.map(([, , , file]) => join(out, file)),
  ...readdirSync(bundled)
    .sort()
    .map((f) => join(bundled, f)),
]);

say('The same export again: its receipt says duplicate, nothing is counted twice.');
failures += await run(['ingest', '--data-dir', data, '--config', rules, join(out, samples[0]![3])]);

say('Two exports that overlap by half (Monday 00:00-16:00 and 08:00-24:00, say): the overlap counts once.');
await run(['generate', '--family', 'trace-detail', '--rows', '6000', '--seed', '7', '--out', join(out, 'whole-day.csv')]);
const lines = readFileSync(join(out, 'whole-day.csv'), 'utf8').split('\r\n').filter(Boolean);
const head = lines.slice(0, 2).join('\r\n');
const rows = lines.slice(2);
writeFileSync(join(out, 'export-1.csv'), `${head}\r\n${rows.slice(0, 4000).join('\r\n')}\r\n`);
writeFileSync(join(out, 'export-2.csv'), `${head}\r\n${rows.slice(2000).join('\r\n')}\r\n`);
failures += await run([
  'ingest',
  '--data-dir',
  data,
  '--config',
  rules,
  '--tenant',
  'fabrikam',
  join(out, 'export-1.csv'),
  join(out, 'export-2.csv'),
]);

say('A file that is not a message trace (a mailbox report exported by mistake): rejected with the reason, nothing counted, exit 1.');
writeFileSync(
  join(out, 'mailbox-report.csv'),
  'DisplayName,PrimarySmtpAddress,ItemCount,TotalItemSize\r\nAdele Vance,adele@contoso.com,10412,2.1 GB\r\n',
);
// The one command of the demo that is meant to fail: any other exit code is a failure of the demo.
if ((await run(['ingest', '--data-dir', data, '--tenant', 'fabrikam', join(out, 'mailbox-report.csv')])) !== 1) failures++;

say("Every upload's receipt, newest first: what each counted, and why one was rejected.");
failures += await run(['sources', '--data-dir', data, '--tenant', 'fabrikam']);

say('A fresh export taken at 04:00, three hours into the firewall outage: the upload raises an alert.');
failures += await run([
  'generate',
  '--family',
  'trace-detail',
  '--rows',
  '100000',
  '--hours',
  '4',
  '--seed',
  '11',
  '--out',
  join(out, 'live-0400.csv'),
]);
failures += await run(['ingest', '--data-dir', data, '--config', rules, '--tenant', 'northwind', join(out, 'live-0400.csv')]);

say('What failed or is stuck in a queue, and why (largest first):');
failures += await run([
  'query',
  '--data-dir',
  data,
  '--where',
  'outcome=deferred,failed,expired',
  '--by',
  'code,category,owner',
  '--top',
  '8',
]);

say('What to do about the top three codes:');
const top = await queryStore(createFsStore({ root: data }), {
  by: ['code'],
  where: { outcome: ['deferred', 'failed', 'expired'] },
  top: 4,
});
for (const { code } of top.filter((r) => r.code).slice(0, 3)) failures += await run(['explain', code!]);

say('When: the 4.4.316 deferrals per hour on the first day (the on-premises firewall outage, 01:00-07:00).');
failures += await run([
  'query',
  '--data-dir',
  data,
  '--where',
  'code=4.4.316',
  '--by',
  'hour',
  '--from',
  '2026-11-20',
  '--to',
  '2026-11-20',
]);

say('Where: destinations and connectors of the deferrals, as CSV for a spreadsheet.');
failures += await run([
  'query',
  '--data-dir',
  data,
  '--where',
  'outcome=deferred',
  '--by',
  'connector,destination',
  '--top',
  '5',
  '--format',
  'csv',
]);

say('The daily digest of that tenant, in Italian (mailflow.config.json can set the language per tenant).');
failures += await run(['digest', '--data-dir', data, '--config', rules, '--tenant', 'northwind', '--lang', 'it']);

say('The dashboard as one self-contained HTML file: open it in a browser (or run `npx mailflow dashboard --data-dir .mailflow-demo`).');
failures += await run(['report', '--html', '--data-dir', data, '--out', join(data, 'report.html')]);

const outbox = readFileSync(join(data, 'outbox.jsonl'), 'utf8').trim().split('\n').filter(Boolean);
say(`The alerts above are also in ${data}/outbox.jsonl (${outbox.length} of them; SNS gets the same when deployed).`);

process.stdout.write(
  `\nSample exports are in ${out}/ (generated) and ${bundled}/ (bundled); the results in ${data}/.\nTry: npx mailflow query --data-dir ${data} --by tenant,outcome\n`,
);
process.exitCode = failures ? 1 : 0;
