import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { terminalSafe } from '../../functions/core/vocabulary/text.ts';
import { runCli } from '../helpers/io.ts';

/**
 * Text from exports reaches the admin's terminal (file names, header cells, destinations, domains,
 * connectors, reasons): no control character or bidi override may arrive raw (issue 16, 5). CRLF
 * line ends of CSV output are fine; a lone CR (which rewrites the line) is not.
 */
const RAW_CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]|\r(?!\n)/;

const HEAD = '"Date","Event","Detail","MessageTraceId","RecipientAddress","SenderAddress"\r\n';
const row = (id: string, server: string, rcpt: string, connector = '') =>
  `"2026-11-20T10:0${id.length % 10}:00Z","Defer","Reason: [{LED=450 4.4.316 Connection refused [LastAttemptedServerName=${server}]}] ${connector}","${id}","${rcpt}","s@contoso.com"\r\n`;

async function outputs(dir: string, file: string): Promise<string[]> {
  const data = join(dir, 'data');
  const runs = [
    await runCli(['ingest', '--data-dir', data, file]),
    await runCli(['inspect', file]),
    await runCli(['query', '--data-dir', data, '--by', 'destination,domain,code']),
    await runCli(['query', '--data-dir', data, '--by', 'destination', '--format', 'csv']),
    await runCli(['digest', '--data-dir', data]),
  ];
  return runs.flatMap((r) => [r.stdout, r.stderr]);
}

describe('nothing from an export writes control sequences to the terminal', () => {
  it('neutralises an escape sequence, a lone CR and a right-to-left override in a destination, a domain and a file name', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mailflow-tty-'));
    const file = join(dir, 'trace\u001b]0;pwned\u0007.csv');
    writeFileSync(
      file,
      HEAD + row('m1', 'mx\u001b[2J\r✓ all good.example', 'u@fab\u202ermoc.example') + row('m22', 'mail.contoso.com', 'v@contoso.com'),
    );
    const out = await outputs(dir, file);
    for (const text of out) expect(text).not.toMatch(RAW_CONTROL);
    const all = out.join('\n');
    // Stored values lost their control characters on the way in; what is printed from the file is shown, not acted on.
    expect(all).toContain('mx[2J✓ all good.example');
    expect(all).toContain('trace\\x1b]0;pwned\\x07.csv');
    // A header that is not an export: its cells are quoted in the error, neutralised too.
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'Name\u001b[31m,Email\r\nAda,ada@x.com\r\n');
    const r = await runCli(['ingest', '--data-dir', join(dir, 'data'), bad]);
    expect(r.stdout + r.stderr).toContain('Name\\x1b[31m');
    expect(r.stdout + r.stderr).not.toMatch(RAW_CONTROL);
  });

  it('for random control characters in any field, every output line is clean (property)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mailflow-tty-prop-'));
    const hostile = fc.string({
      unit: fc.constantFrom('a', '.', '\u001b', '[', '\r', '\u0007', '\u009b', '\u202e', '\u2066', '\u0008', '\u007f', '\u000b'),
      minLength: 1,
      maxLength: 12,
    });
    let n = 0;
    await fc.assert(
      fc.asyncProperty(hostile, hostile, hostile, async (server, domain, connector) => {
        const file = join(dir, `f${n++}.csv`);
        const quote = (v: string) => v.replaceAll('"', '""');
        writeFileSync(file, HEAD + row(`m${n}`, quote(`mx${server}`), quote(`u@${domain}.example`), quote(connector)));
        const out = await outputs(join(dir, String(n)), file);
        for (const text of out) expect(text).not.toMatch(RAW_CONTROL);
      }),
      { numRuns: 40 },
    );
  });

  it('terminalSafe keeps text, tabs, line feeds and CRLF, and shows everything else', () => {
    expect(terminalSafe('a\tb\nc\r\nd é 日本')).toBe('a\tb\nc\r\nd é 日本');
    expect(terminalSafe('\u001b[2J\rX\u202e\u0000')).toBe('\\x1b[2J\\x0dX\\u202e\\x00');
  });
});
