import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/io.ts';

const dir = mkdtempSync(join(tmpdir(), 'mailflow-cli-'));
const fixtures = new URL('../fixtures/exports/', import.meta.url).pathname;

describe('mailflow explain', () => {
  it('prints the contract object with --json', async () => {
    const r = await runCli([
      'explain',
      '--json',
      'Reason: [{LED=450 4.4.316 Connection refused [Message=Socket error code 10061] [LastAttemptedServerName=mail.contoso.com] [LastAttemptedIP=198.51.100.25:25]}]',
    ]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      code: '4.4.316',
      replyCode: '450',
      outcome: 'deferred',
      category: 'connection-refused',
      transient: true,
      owner: 'our-servers',
      innerReply: 'Socket error code 10061',
      destination: { server: 'mail.contoso.com', ip: '198.51.100.25' },
      title: 'Connection refused',
      cause: expect.stringContaining('10061'),
      action: expect.stringContaining('firewall'),
    });
  });

  it('explains in Italian for people', async () => {
    const r = await runCli(['explain', '5.1.10', '--lang', 'it']);
    expect(r.stdout).toContain('Destinatario non trovato');
    expect(r.stdout).toContain('Chi interviene');
  });

  it('says "no status code found" (exit 2) instead of guessing from words', async () => {
    const r = await runCli(['explain', 'hello', 'world']);
    expect(r).toMatchObject({ code: 2, stdout: '', stderr: expect.stringContaining('no status code found in "hello world"') });
    expect((await runCli(['explain', 'Message expired'])).code).toBe(0);
  });

  it('exits 2 on usage errors with a message', async () => {
    expect((await runCli(['explain'])).code).toBe(2);
    const bad = await runCli(['explain', '4.4.316', '--lang', 'fr']);
    expect(bad).toMatchObject({ code: 2, stderr: expect.stringContaining('--lang must be en or it') });
    expect((await runCli(['nonsense'])).code).toBe(2);
    expect((await runCli(['explain', '--bogus', 'x'])).code).toBe(2);
  });

  it('has --help on every command', async () => {
    for (const cmd of ['explain', 'inspect', 'generate', 'report', 'dashboard']) {
      const r = await runCli([cmd, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`Usage: mailflow ${cmd}`));
    }
    expect((await runCli(['--help'])).stdout).toContain('Commands:');
  });

  it('answers --help and -h on all thirteen commands, through the one defineCommand', async () => {
    const commands = [
      'ingest',
      'query',
      'report',
      'dashboard',
      'watch',
      'upload',
      'failures',
      'test-alert',
      'digest',
      'suppress',
      'explain',
      'inspect',
      'generate',
    ];
    for (const cmd of commands) {
      for (const flag of ['--help', '-h']) {
        const r = await runCli([cmd, flag]);
        expect(r, `${cmd} ${flag}`).toMatchObject({ code: 0, stdout: expect.stringMatching(new RegExp(`^Usage: mailflow ${cmd}`)) });
      }
    }
  });

  it('refuses --data-dir together with --bucket on every command that reads results (exit 2)', async () => {
    for (const cmd of [['query'], ['report', '--html'], ['dashboard'], ['digest'], ['suppress', '--list']]) {
      const r = await runCli([...cmd, '--data-dir', dir, '--bucket', 'b']);
      expect(r, cmd.join(' ')).toMatchObject({ code: 2, stderr: expect.stringMatching(/not both|use one of --data-dir, --bucket/) });
    }
  });
});

describe('mailflow inspect', () => {
  it('prints one JSON object per file with the contract fields', async () => {
    const r = await runCli(['inspect', '--json', join(fixtures, 'graph-trace-detail.csv'), join(fixtures, 'MSGTRK20261120-1.LOG')]);
    expect(r.code).toBe(0);
    const [a, b] = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(a).toMatchObject({
      family: 'trace-detail',
      encoding: 'utf-8',
      delimiter: ',',
      rows: 6,
      events: { delivered: 1, deferred: 1, failed: 2, expired: 1, filtered: 0, other: 1 },
      codes: { '4.4.317': 1, '5.4.317': 1, '5.1.10': 1, '5.7.26': 1 },
      timeSpan: { from: '2023-03-07T18:40:01.123Z', to: '2023-03-08T18:47:00.000Z' },
      rejectedRows: { count: 0, samples: [] },
      warnings: [],
    });
    expect(a.file).toMatch(/graph-trace-detail\.csv$/);
    expect(b.family).toBe('onprem-tracking-log');
  });

  it('reports a bad file and carries on with the next, exit code 1', async () => {
    const png = join(dir, 'screenshot.csv');
    writeFileSync(png, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]));
    const r = await runCli(['inspect', png, join(fixtures, 'eac-extended.csv')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('screenshot.csv: NOT_TEXT: this is a PNG image');
    expect(r.stdout).toContain('eac-extended');
    const missing = await runCli(['inspect', join(dir, 'nope.csv')]);
    expect(missing.code).toBe(1);
  });
});

describe('mailflow generate', () => {
  it('is deterministic for a seed, and writes gzip when the name ends in .gz', async () => {
    const a = join(dir, 'a.csv');
    const b = join(dir, 'b.csv.gz');
    expect((await runCli(['generate', '--family', 'eac-extended', '--rows', '200', '--seed', '4', '--out', a])).code).toBe(0);
    expect((await runCli(['generate', '--family', 'eac-extended', '--rows', '200', '--seed', '4', '--out', b])).code).toBe(0);
    expect(gunzipSync(readFileSync(b)).equals(readFileSync(a))).toBe(true);
    const lines = readFileSync(a, 'utf8').trimEnd().split('\r\n');
    expect(lines).toHaveLength(201);
    const c = await runCli(['generate', '--family', 'eac-extended', '--rows', '200', '--seed', '5']);
    expect(c.stdout).not.toBe(readFileSync(a, 'utf8'));
  });

  it('takes an export at a moment with --hours: nothing later is in it', async () => {
    const file = join(dir, 'snapshot.csv');
    expect((await runCli(['generate', '--family', 'trace-detail', '--rows', '100000', '--hours', '3', '--out', file])).code).toBe(0);
    const r = JSON.parse((await runCli(['inspect', '--json', file])).stdout);
    expect(r.rows).toBeLessThan(100_000);
    expect(r.rows).toBeGreaterThan(1000);
    expect(Date.parse(r.timeSpan.to)).toBeLessThanOrEqual(Date.parse('2026-11-20T03:00:00Z'));
    expect(r.codes['5.4.316']).toBeUndefined(); // the expiries come 24 hours later
    expect(r.codes['4.4.316']).toBeGreaterThan(0);
  });

  it('rejects unknown families and encodings with exit 2', async () => {
    expect((await runCli(['generate', '--family', 'nope', '--rows', '1'])).code).toBe(2);
    expect((await runCli(['generate', '--family', 'trace-summary', '--rows', '1', '--encoding', 'latin1'])).code).toBe(2);
  });
});

describe('bin/mailflow.js', () => {
  it('runs the bundle while it is newer than every source, else the sources', async () => {
    // A copy of the launcher over stand-in entry points that say which one ran.
    const root = mkdtempSync(join(tmpdir(), 'mailflow-bin-'));
    const repo = new URL('../../', import.meta.url).pathname;
    const entry = (name: string) => `export async function main(_a, io) { io.stdout.write('${name}'); return 0; }\n`;
    for (const dir of ['bin', 'dist/cli', 'functions/cli']) mkdirSync(join(root, dir), { recursive: true });
    copyFileSync(join(repo, 'bin/mailflow.js'), join(root, 'bin/mailflow.js'));
    symlinkSync(join(repo, 'node_modules'), join(root, 'node_modules'));
    writeFileSync(join(root, 'package.json'), '{"type":"module"}');
    writeFileSync(join(root, 'package-lock.json'), '{}');
    writeFileSync(join(root, 'dist/cli/main.mjs'), entry('bundle'));
    writeFileSync(join(root, 'functions/cli/main.ts'), entry('sources'));
    const at = (file: string, seconds: number) => utimesSync(join(root, file), seconds, seconds);
    const run = async (env: Record<string, string> = {}) =>
      (await promisify(execFile)(process.execPath, [join(root, 'bin/mailflow.js')], { env: { ...process.env, ...env } })).stdout;
    at('functions/cli/main.ts', 1_000);
    at('package-lock.json', 1_000);
    expect(await run()).toBe('sources'); // never built
    writeFileSync(join(root, 'dist/cli/BUILT'), '');
    at('dist/cli/BUILT', 2_000);
    expect(await run()).toBe('bundle');
    expect(await run({ MAILFLOW_CLI_FROM_SOURCES: 'true' })).toBe('sources');
    at('functions/cli/main.ts', 3_000); // edited after the build
    expect(await run()).toBe('sources');
    at('functions/cli/main.ts', 1_000);
    at('package-lock.json', 3_000); // dependencies changed after the build
    expect(await run()).toBe('sources');
  });

  it('runs the CLI right after npm ci', async () => {
    const bin = new URL('../../bin/mailflow.js', import.meta.url).pathname;
    const { stdout } = await promisify(execFile)(process.execPath, [bin, 'explain', '--json', '4.4.316']);
    expect(JSON.parse(stdout).category).toBe('connection-refused');
  });

  it("says in one line that AWS credentials are missing, instead of the SDK's stack trace (exit 2)", async () => {
    const bin = new URL('../../bin/mailflow.js', import.meta.url).pathname;
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_')));
    const run = promisify(execFile)(process.execPath, [bin, 'query', '--bucket', 'some-bucket', '--region', 'eu-west-1'], {
      env: {
        ...env,
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
        AWS_CONFIG_FILE: '/nonexistent',
        HOME: tmpdir(),
      },
    });
    const err = (await run.then(
      () => null,
      (e: unknown) => e,
    )) as { code: number; stderr: string };
    expect(err.code).toBe(2);
    const lines = err.stderr.split('\n').filter((l) => l.startsWith('mailflow'));
    expect(lines).toEqual([expect.stringMatching(/^mailflow query: no AWS credentials .*AWS_PROFILE/)]);
    expect(err.stderr).not.toMatch(/\n\s+at /);
  });

  it('report --html says what it needs, and report --html to a file works on an empty data folder (one that exists)', async () => {
    expect((await runCli(['report'])).stderr).toMatch(/say --html/);
    const dir = mkdtempSync(join(tmpdir(), 'mailflow-report-'));
    const r = await runCli(['report', '--html', '--data-dir', dir, '--out', join(dir, 'r.html')]);
    expect(r.code).toBe(0);
    expect(readFileSync(join(dir, 'r.html'), 'utf8')).toContain('no data yet');
  });
});
