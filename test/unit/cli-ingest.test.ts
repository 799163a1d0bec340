import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { watchCommand } from '../../functions/cli/commands/watch.ts';
import { generated } from '../helpers/bytes.ts';
import { runCli } from '../helpers/io.ts';

const fixtures = new URL('../fixtures/exports/', import.meta.url).pathname;
const tmp = () => mkdtempSync(join(tmpdir(), 'mailflow-cli-ingest-'));

describe('mailflow ingest', () => {
  it('prints one receipt per file with --json, keeps going past a bad file, and exits 1 for it', async () => {
    const dir = tmp();
    const bad = join(dir, 'not-an-export.csv');
    writeFileSync(bad, 'Name,Email\r\nAda,ada@x.com\r\n');
    const data = join(dir, 'data');
    const r = await runCli(['ingest', '--json', '--data-dir', data, '--tenant', 'Contoso', bad, join(fixtures, 'graph-trace-detail.csv')]);
    expect(r.code).toBe(1);
    const [rejected, ok] = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rejected).toMatchObject({
      status: 'rejected',
      errorCode: 'UNRECOGNIZED_HEADER',
      tenant: 'contoso',
      key: 'incoming/contoso/not-an-export.csv',
    });
    expect(rejected.reason).toContain('Name, Email');
    expect(ok).toMatchObject({ status: 'ingested', family: 'trace-detail', rows: 6, tenant: 'contoso', counted: 5 });
    expect(ok.sourceId).toMatch(/^[0-9a-f]{32}$/);
    expect(readdirSync(join(data, 'results', 'sources', 'contoso'))).toHaveLength(2);
  });

  it('walks folders, says duplicate the second time, and totals the run', async () => {
    const dir = tmp();
    const exports = join(dir, 'exports');
    mkdirSync(exports);
    for (const f of ['eac-extended.csv', 'MSGTRK20261120-1.LOG']) copyFileSync(join(fixtures, f), join(exports, f));
    writeFileSync(join(exports, 'notes.docx'), 'ignored: not an export name');
    const data = join(dir, 'data');
    const first = await runCli(['ingest', '--data-dir', data, exports]);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/✓ .*eac-extended\.csv: eac-extended, 4 rows/);
    expect(first.stdout).toMatch(/2 files: 2 ingested, 0 duplicate, 0 empty, 0 rejected/);
    const second = await runCli(['ingest', '--data-dir', data, exports]);
    expect(second.stdout).toMatch(/= .*eac-extended\.csv: duplicate, already processed/);
    expect(second.stdout).toMatch(/2 files: 0 ingested, 2 duplicate/);
    expect(second.code).toBe(0);
  });

  it('warns when a file has exactly an export cap of rows (probably truncated)', async () => {
    const dir = tmp();
    const file = join(dir, 'capped.csv');
    writeFileSync(file, generated({ family: 'trace-summary', rows: 1000 }));
    const r = await runCli(['ingest', '--json', '--data-dir', join(dir, 'data'), file]);
    expect(JSON.parse(r.stdout).truncationWarning).toMatch(/1,000 rows is exactly an export cap/);
  });

  it('rejects a bad tenant and missing inputs as usage errors', async () => {
    expect((await runCli(['ingest', '--tenant', 'Not A Tenant!', join(fixtures, 'eac-extended.csv')])).code).toBe(2);
    expect((await runCli(['ingest'])).code).toBe(2);
    const missing = await runCli(['ingest', '--data-dir', join(tmp(), 'd'), '/nonexistent/file.csv']);
    expect(missing).toMatchObject({ code: 1, stderr: expect.stringContaining('no such file') });
  });
});

describe('mailflow query', () => {
  it('answers from what ingest stored: JSON with exactly the --by fields', async () => {
    const dir = tmp();
    const data = join(dir, 'data');
    await runCli(['ingest', '--data-dir', data, join(fixtures, 'graph-trace-detail.csv'), join(fixtures, 'eac-extended.csv')]);
    const r = await runCli([
      'query',
      '--data-dir',
      data,
      '--by',
      'code,category',
      '--where',
      'outcome=deferred,expired',
      '--format',
      'json',
    ]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([
      { code: '4.4.316', category: 'connection-refused', events: 2, messages: 2 },
      { code: '4.4.317', category: 'remote-server', events: 1, messages: 1 },
      { code: '5.4.316', category: 'connection-refused', events: 1, messages: 1 },
      { code: '5.4.317', category: 'remote-server', events: 1, messages: 1 },
    ]);
    const table = await runCli(['query', '--data-dir', data, '--top', '2']);
    expect(table.stdout).toMatch(/^outcome\s+code\s+events\s+messages\s+meaning/);
    expect(table.stdout.trim().split('\n')).toHaveLength(4);
    expect((await runCli(['query', '--data-dir', data, '--by', 'colour'])).code).toBe(2);
    expect((await runCli(['query', '--data-dir', data, '--where', 'nonsense'])).code).toBe(2);
  });
});

describe('mailflow watch', () => {
  it('ingests what is in the folder, then new files as they appear', async () => {
    const dir = tmp();
    const inbox = join(dir, 'inbox');
    mkdirSync(inbox);
    copyFileSync(join(fixtures, 'eac-extended.csv'), join(inbox, 'first.csv'));
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    stdout.on('data', (d) => (out += d));
    const stop = new AbortController();
    const running = watchCommand(['--data-dir', join(dir, 'data'), inbox], { stdout, stderr }, stop.signal);
    const waitFor = async (re: RegExp) => {
      for (let i = 0; i < 100 && !re.test(out); i++) await new Promise((r) => setTimeout(r, 100));
      expect(out).toMatch(re);
    };
    await waitFor(/first\.csv: eac-extended/);
    copyFileSync(join(fixtures, 'MSGTRK20261120-1.LOG'), join(inbox, 'second.log'));
    await waitFor(/second\.log: onprem-tracking-log/);
    stop.abort();
    expect(await running).toBe(0);
  }, 30_000);
});

describe('an Excel ANSI export with one bad row, as an admin sees it (issue 12, 5)', () => {
  it('counts every good row, names the encoding it used, and gives the bad row’s reason on the ingest line and in Recent uploads', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mailflow-ansi-'));
    const file = join(dir, 'trace.csv');
    const header = '"Received","SenderAddress","RecipientAddress","Status","MessageTraceId"\r\n';
    const rows = [
      '"11/20/2026 10:00:00 AM","a@contoso.com","jürgen.müller@fabrikam.com","Failed","1"',
      '"not a date","a@contoso.com","r2@fabrikam.com","Failed","2"',
      '"11/20/2026 10:05:00 AM","a@contoso.com","zoë@fabrikam.com","Failed","3"',
    ];
    writeFileSync(file, Buffer.from(header + rows.join('\r\n') + '\r\n', 'latin1')); // ü, ë: the same bytes in Windows-1252
    const inspect = await runCli(['inspect', file]);
    expect(inspect.stdout).toMatch(/encoding\s+windows-1252\n/);
    const ingest = await runCli(['ingest', '--data-dir', join(dir, 'data'), file]);
    expect(ingest.code).toBe(0);
    expect(ingest.stdout).toContain('3 rows, 2 failed or deferred; 2 events counted');
    expect(ingest.stdout).toContain('1 bad row(s), the first on line 3: unreadable date "not a date"');
    expect(ingest.stdout).toContain(
      'warning: not UTF-8: looks like Excel ANSI (Windows-1252), and 2 fields were read as such (the first on line 2)',
    );
    const report = await runCli(['report', '--html', '--data-dir', join(dir, 'data'), '--out', join(dir, 'r.html'), '--lang', 'en']);
    expect(report.code).toBe(0);
    expect(readFileSync(join(dir, 'r.html'), 'utf8')).toContain(
      '1 bad row(s), the first on line 3: unreadable date &quot;not a date&quot;',
    );
  });
});
