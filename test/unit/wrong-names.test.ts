import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { deferrals } from '../helpers/alerts.ts';
import { runCli } from '../helpers/io.ts';

/**
 * A wrong name must be an error that lists what exists (exit 2), never "no events match" with
 * exit 0, which reads as an all-clear (issue 12, 8).
 */
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mailflow-names-'));
  const file = join(dir, 'deferrals.csv');
  writeFileSync(file, deferrals(1, 12));
  for (const tenant of ['contoso', 'fabrikam']) {
    expect((await runCli(['ingest', '--data-dir', join(dir, 'data'), '--tenant', tenant, file])).code).toBe(0);
  }
});

const data = () => join(dir, 'data');

describe('wrong names are errors that say what exists (exit 2)', () => {
  it('an unknown tenant, in query, digest and report', async () => {
    for (const cmd of [['query'], ['digest'], ['report', '--html', '--out', join(dir, 'r.html')]]) {
      const r = await runCli([...cmd, '--data-dir', data(), '--tenant', 'nope']);
      expect(r, cmd[0]).toMatchObject({
        code: 2,
        stdout: '',
        stderr: `mailflow ${cmd[0]}: no results for tenant "nope"; tenants with results: contoso, fabrikam\n`,
      });
    }
    expect((await runCli(['query', '--data-dir', data(), '--tenant', 'contoso'])).code).toBe(0);
  });

  it('a data folder that does not exist, for every command that reads results', async () => {
    const missing = join(dir, 'nonexistent');
    for (const cmd of [['query'], ['report', '--html'], ['dashboard'], ['digest'], ['suppress', '--list']]) {
      const r = await runCli([...cmd, '--data-dir', missing]);
      expect(r, cmd[0]).toMatchObject({ code: 2, stderr: expect.stringContaining(`no data folder at ${missing}: ingest exports first`) });
    }
  });

  it('a value a field cannot have, and a reversed range', async () => {
    const q = (...args: string[]) => runCli(['query', '--data-dir', data(), ...args]);
    expect(await q('--where', 'outcome=faild')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('unknown outcome "faild"; use delivered, deferred, failed, expired, filtered, other'),
    });
    expect(await q('--where', 'category=dsn')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('unknown category "dsn"; use dns,'),
    });
    expect(await q('--where', 'code=4.4')).toMatchObject({ code: 2, stderr: expect.stringContaining('"4.4" is not a status code') });
    expect(await q('--from', '2026-11-21', '--to', '2026-11-19')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('the range is empty: from 2026-11-21T00:00:00.000Z is not before to 2026-11-20T00:00:00.000Z'),
    });
    // The right names still answer.
    const ok = await q('--where', 'outcome=deferred', '--where', 'code=4.4.316', '--format', 'json');
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toEqual([expect.objectContaining({ outcome: 'deferred', code: '4.4.316', events: 24 })]);
  });

  it('suppress: an unknown rule lists the rules; --list covers every tenant; --remove lifts one', async () => {
    const s = (...args: string[]) => runCli(['suppress', '--data-dir', data(), ...args]);
    expect(await s('--rule', 'stuk', '--until', '4h', '--reason', 'change window CHG-1')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('no rule "stuk" for default; rules: queue, connector-codes, permanent-failure-rate, stuck, new-code'),
    });
    const made = await s('--tenant', 'fabrikam', '--rule', 'stuck', '--until', '4h', '--reason', 'change window CHG-1');
    expect(made.code).toBe(0);
    const id = /\(id ([0-9a-f]{8})\)/.exec(made.stdout)![1]!;
    expect((await s('--list')).stdout).toMatch(new RegExp(`^${id}  fabrikam  stuck  \\*  until .*  change window CHG-1\\n$`));
    expect(await s('--remove', 'ffffffff')).toMatchObject({ code: 2, stderr: expect.stringContaining(`active: ${id} (fabrikam, stuck)`) });
    expect(await s('--remove', id)).toMatchObject({ code: 0, stdout: expect.stringContaining(`lifted ${id} (stuck for fabrikam)`) });
    expect((await s('--list')).stdout).toBe('no active suppressions\n');
  });
});

describe('problems without a code have one name everywhere (issue 12, 9)', () => {
  it('digest, dashboard and query table all say "no code: summary export"', async () => {
    const d = mkdtempSync(join(tmpdir(), 'mailflow-nocode-'));
    const file = join(d, 'summary.csv');
    const header = '"Received","SenderAddress","RecipientAddress","Status","MessageTraceId"\r\n';
    let text = header;
    for (let i = 0; i < 6; i++)
      text += `"2026-11-20T10:0${i}:00Z","a@contoso.com","r${i}@fabrikam.com","${i % 2 ? 'Failed' : 'Pending'}","m${i}"\r\n`;
    writeFileSync(file, text);
    expect((await runCli(['ingest', '--data-dir', join(d, 'data'), file])).code).toBe(0);
    const digest = await runCli(['digest', '--data-dir', join(d, 'data'), '--since', '24h', '--to', '2026-11-20T11:00Z']);
    const query = await runCli(['query', '--data-dir', join(d, 'data'), '--by', 'outcome,code']);
    const report = await runCli(['report', '--html', '--data-dir', join(d, 'data'), '--out', join(d, 'r.html'), '--lang', 'en']);
    expect(report.code).toBe(0);
    const html = readFileSync(join(d, 'r.html'), 'utf8');
    for (const [where, out] of [
      ['digest', digest.stdout],
      ['query', query.stdout],
      ['report', html],
    ] as const) {
      expect(out, where).toContain('no code: summary export');
      expect(out, where).not.toMatch(/\((failed|deferred)(, no code)?\)|Unrecognized status/);
    }
    expect(query.stdout).toMatch(/failed\s+no code: summary export\s+3/);
    expect(query.stdout).toMatch(/deferred\s+no code: summary export\s+3/);
  });
});
