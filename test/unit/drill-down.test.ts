import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { localDrill } from '../../functions/cli/command.ts';
import { drillCommand, shellWord } from '../../functions/core/render/drill.ts';
import { deferrals } from '../helpers/alerts.ts';
import { runCli } from '../helpers/io.ts';

/** A command line as a POSIX shell splits it (bare words and single-quoted ones, as drillCommand writes them). */
function shellSplit(line: string): string[] {
  const words: string[] = [];
  for (const m of line.matchAll(/'((?:[^']|'\\'')*)'|(\S+)/g)) words.push(m[1] !== undefined ? m[1].replaceAll("'\\''", "'") : m[2]!);
  return words;
}

describe('drill-down commands run as printed (issue 12, 10)', () => {
  it('names the data folder and the way mailflow was started', () => {
    expect(localDrill({ dataDir: '.mailflow' }, {})).toEqual({ cli: 'mailflow', store: [] });
    expect(localDrill({ dataDir: '/tmp/x y' }, { npm_command: 'exec' })).toEqual({
      cli: 'npx mailflow',
      store: ['--data-dir', '/tmp/x y'],
    });
    expect(localDrill({ bucket: 'mailflow-data' }, { npm_command: 'run' })).toEqual({
      cli: 'npx mailflow',
      store: ['--bucket', 'mailflow-data'],
    });
    expect(drillCommand({ cli: 'npx mailflow', store: ['--data-dir', '/tmp/x y'] }, ['--where', "connector=O'Brien; rm -rf ~"])).toBe(
      "npx mailflow query --data-dir '/tmp/x y' --where 'connector=O'\\''Brien; rm -rf ~'",
    );
    expect(shellSplit(shellWord("a'b c"))).toEqual(["a'b c"]);
  });

  it("an alert's drill-down, run as printed, lists the incident's events and nothing else", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mailflow-drill-'));
    const data = join(dir, 'data with space');
    const file = join(dir, 'deferrals.csv');
    writeFileSync(file, deferrals(1, 30));
    // A delivered message to the same destination, which the drill-down must leave out.
    writeFileSync(
      join(dir, 'delivered.csv'),
      `"Date","Event","Detail","MessageTraceId","RecipientAddress"\r\n"2026-11-20T03:30:00Z","Deliver","","d1","u1@contoso.com"\r\n`,
    );
    expect((await runCli(['ingest', '--data-dir', data, join(dir, 'delivered.csv'), file])).code).toBe(0);
    const [alert] = readFileSync(join(data, 'outbox.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { json: { drillDown: string } });
    const printed = alert!.json.drillDown;
    // Under npm (npx vitest, npm test) the command starts the way npm starts mailflow.
    const { cli } = localDrill({ dataDir: data });
    expect(printed.startsWith(`${cli} query --data-dir '${data}' --tenant default --where outcome=deferred,expired`)).toBe(true);
    const args = shellSplit(printed).slice(cli.split(' ').length);
    const r = await runCli([...args, '--format', 'json']);
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as Array<{ hour: string; destination: string; events: number }>;
    expect(rows).toEqual([{ hour: '2026-11-20T03:00:00Z', destination: 'mail.contoso.com', events: 30, messages: 30 }]);
  });
});
