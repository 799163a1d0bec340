import { mkdirSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { readDeferralState } from '../../functions/core/store/deferral-state.ts';
import { AREA } from '../../functions/core/store/layout.ts';
import type { ObjectStore } from '../../functions/core/ports.ts';
import type { Receipt } from '../../functions/core/store/receipts.ts';
import { parseRulesConfig } from '../../functions/core/rules/config.ts';
import { recorder } from '../helpers/alerts.ts';
import { generated } from '../helpers/bytes.ts';
import { ingestBytes } from '../helpers/ingest.ts';
import { createMemoryStore } from '../helpers/memory-store.ts';

/**
 * The hostile-input suite: one good 2,000-row Get-MessageTraceV2 export, each time with one thing
 * wrong in it. For every file the expectation is exact: the rows it reads, the events it counts
 * (the same as the good export with the damaged rows taken out), the rejected lines and reasons,
 * the warnings, and the tenant's data clock (unmoved by anything hostile). Physical lines: the
 * `#TYPE` line is 1, the header 2, data row k is line k + 2.
 */
const BASE = Buffer.from(generated({ family: 'trace-summary', rows: 2000, seed: 2 })).toString('utf8');
const LINES = BASE.split('\r\n');
const EOL = LINES.at(-1) === '' ? '' : null; // the export ends with CRLF
expect(EOL).toBe('');
const COL = { received: 5, recipient: 7, subject: 8, last: 16 } as const;
const MiB = 1024 * 1024;

/** The fields of data line `n` (all quoted, none containing `","`, as the generator writes them). */
function fields(lines: string[], n: number): string[] {
  return lines[n - 1]!.slice(1, -1).split('","');
}
function withField(lines: string[], n: number, col: number, value: string): string[] {
  const f = fields(lines, n);
  f[col] = value;
  const copy = [...lines];
  copy[n - 1] = `"${f.join('","')}"`;
  return copy;
}
function withLine(lines: string[], n: number, text: string): string[] {
  const copy = [...lines];
  copy[n - 1] = text;
  return copy;
}
const join = (lines: string[]) => Buffer.from(lines.join('\r\n'), 'utf8');
/** UTF-16LE with a BOM; `patch` replaces the code unit of the character at `index` of the text. */
function utf16(text: string, patch?: { index: number; unit: number }): Buffer {
  const b = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
  if (patch) b.writeUInt16LE(patch.unit, 2 + 2 * patch.index);
  return b;
}
/** Windows-1252 bytes of a text, as Excel saves "CSV" (throws on a character the code page lacks). */
function windows1252(text: string): Buffer {
  const high = '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008dŽ\u008f\u0090‘’“”•–—˜™š›œ\u009džŸ';
  return Buffer.from(
    [...text].map((ch) => {
      const c = ch.codePointAt(0)!;
      if (c < 0x80 || (c >= 0xa0 && c <= 0xff)) return c;
      const k = high.indexOf(ch);
      if (k < 0) throw new Error(`${ch} is not in Windows-1252`);
      return 0x80 + k;
    }),
  );
}
/** Every 50th data row's recipient and subject with characters outside ASCII (ü, é, ’, €). */
const ACCENTED = LINES.map((l, i) => {
  if (i < 2 || i % 50 !== 0) return l;
  const f = fields(LINES, i + 1);
  f[COL.recipient] = f[COL.recipient]!.replace('@', 'üé@');
  f[COL.subject] += ' ’€’';
  return `"${f.join('","')}"`;
});

/** Index in BASE of field `col` of line `n` (its first character). */
function fieldIndex(n: number, col: number): number {
  const lineStart = LINES.slice(0, n - 1).reduce((sum, l) => sum + l.length + 2, 0);
  return (
    lineStart +
    1 +
    fields(LINES, n)
      .slice(0, col)
      .reduce((sum, f) => sum + f.length + 3, 0)
  );
}

interface Case {
  name: string;
  bytes: () => Buffer;
  /** Lines whose rows are lost (rejected, merged into a rejected record, or cut off). */
  lost: number[];
  /** The text the file should count as, when it is not the good export's (default: LINES). */
  as?: string[];
  rows: number;
  rejected: Array<{ line: number; reason: RegExp }>;
  warning?: RegExp;
}

const CASES: Case[] = [
  { name: 'the good export', bytes: () => join(LINES), lost: [], rows: 2000, rejected: [] },
  ...(
    [
      ['a row dated 9999', '12/31/9999 10:00:00 AM', 10, /date "12\/31\/9999 10:00:00 AM" is in the future/],
      ['a row dated 1900', '1/1/1900 10:00:00 AM', 11, /date "1\/1\/1900 10:00:00 AM" is before 1996/],
      ['a row dated year 5', '1/1/0005 10:00:00 AM', 12, /date "1\/1\/0005 10:00:00 AM" is before 1996/],
    ] as const
  ).map(([name, date, line, reason]) => ({
    name,
    bytes: () => join(withField(LINES, line, COL.received, date)),
    lost: [line],
    rows: 2000,
    rejected: [{ line, reason }],
  })),
  {
    name: 'a lost opening quote (Subject, line 6)',
    bytes: () => join(withLine(LINES, 6, LINES[5]!.replace(`,"${fields(LINES, 6)[COL.subject]}"`, `,${fields(LINES, 6)[COL.subject]}"`))),
    lost: [6],
    rows: 2000,
    rejected: [{ line: 6, reason: /^has 18 fields where the header has 17$/ }],
  },
  {
    name: 'a stray quote after a closing one (Subject, line 20)',
    bytes: () =>
      join(withLine(LINES, 20, LINES[19]!.replace(`"${fields(LINES, 20)[COL.subject]}",`, `"${fields(LINES, 20)[COL.subject]}"",`))),
    lost: [20],
    rows: 2000,
    rejected: [{ line: 20, reason: /has 16 fields where the header has 17/ }],
  },
  // These run into the next line: the record they make spans two lines and is rejected with both.
  ...(
    [
      ['a quote at the end of the last field', 30, (line: string) => line + '"'],
      ['an unclosed last field', 40, (line: string) => line.slice(0, -1)],
    ] as const
  ).map(([name, line, damage]) => ({
    name: `${name} (line ${line})`,
    bytes: () => join(withLine(LINES, line, damage(LINES[line - 1]!))),
    lost: [line, line + 1],
    rows: 1999,
    rejected: [
      {
        line,
        reason: new RegExp(
          `^has 33 fields where the header has 17 \\(the record runs from line ${line} to line ${line + 1}: a quote is probably unbalanced\\)$`,
        ),
      },
    ],
  })),
  {
    name: 'an unclosed last field at the end of the file',
    bytes: () => join(LINES.slice(0, -1)).subarray(0, -1),
    lost: [2002],
    rows: 1999,
    rejected: [],
    warning: /the file ends inside a quoted field that starts at line 2002: that last record was dropped/,
  },
  {
    name: 'a 2 MiB field (Subject, line 50)',
    bytes: () => join(withField(LINES, 50, COL.subject, 'x'.repeat(2 * MiB))),
    lost: [50],
    rows: 2000,
    rejected: [{ line: 50, reason: /a record longer than 1048576 bytes .*its first line was skipped/ }],
  },
  {
    name: 'a 500 KB recipient address (line 70)',
    bytes: () => join(withField(LINES, 70, COL.recipient, 'x'.repeat(500_000) + '@contoso.com')),
    lost: [70],
    rows: 2000,
    rejected: [{ line: 70, reason: /^RecipientAddress is 500,012 bytes long; an e-mail address has at most 320 characters$/ }],
  },
  {
    name: 'a 400-character recipient address (line 71)',
    bytes: () => join(withField(LINES, 71, COL.recipient, 'x'.repeat(388) + '@contoso.com')),
    lost: [71],
    rows: 2000,
    rejected: [{ line: 71, reason: /^RecipientAddress is 400 characters long; an e-mail address has at most 320 characters$/ }],
  },
  {
    name: 'a row with 600 columns (line 60)',
    bytes: () => join(withLine(LINES, 60, LINES[59]! + ',""'.repeat(583))),
    lost: [60],
    rows: 2000,
    rejected: [{ line: 60, reason: /more than 512 columns/ }],
  },
  {
    name: 'NUL bytes in an unused column in the first 4 KB (Subject, line 4)',
    bytes: () => join(withField(LINES, 4, COL.subject, 'a\0\0\0\0\0b')),
    lost: [],
    rows: 2000,
    rejected: [],
  },
  {
    name: 'a NUL byte in a used column in the first 4 KB (RecipientAddress, line 5)',
    bytes: () => join(withField(LINES, 5, COL.recipient, fields(LINES, 5)[COL.recipient]!.replace('@', '@\0'))),
    lost: [],
    rows: 2000,
    rejected: [],
  },
  {
    name: 'UTF-16, a lone surrogate in an unused column (Subject, line 7)',
    bytes: () => utf16(BASE, { index: fieldIndex(7, COL.subject), unit: 0xd800 }),
    lost: [],
    rows: 2000,
    rejected: [],
    warning: /1 unpaired UTF-16 surrogate .*rows that use such a column were rejected, the others were read/,
  },
  {
    name: 'UTF-16, a lone surrogate in a used column (RecipientAddress, line 8)',
    bytes: () => utf16(BASE, { index: fieldIndex(8, COL.recipient), unit: 0xdc00 }),
    lost: [8],
    rows: 2000,
    rejected: [{ line: 8, reason: /an unpaired UTF-16 surrogate \(half of a character\) on line 8/ }],
    warning: /1 unpaired UTF-16 surrogate/,
  },
  {
    name: 'saved by Excel as ANSI (Windows-1252): ü, é in 40 recipients, ’ € in subjects',
    bytes: () => windows1252(ACCENTED.join('\r\n')),
    lost: [],
    as: ACCENTED,
    rows: 2000,
    rejected: [],
    warning: /^not UTF-8: looks like Excel ANSI \(Windows-1252\), and 40 fields were read as such \(the first on line 51\)/,
  },
  {
    name: 'UTF-16 with an odd last byte',
    bytes: () => Buffer.concat([utf16(BASE), Buffer.from([0x41])]),
    lost: [],
    rows: 2000,
    rejected: [],
    warning: /the UTF-16 text ends with a stray byte \(at byte \d+\), which was ignored/,
  },
];

async function ingest(bytes: Buffer): Promise<{ store: ObjectStore; receipt: Receipt; clock: number | undefined }> {
  const store = createMemoryStore();
  // Alerting on, so the tenant's data clock is kept (what an implausible date could move).
  const alerts = { rules: parseRulesConfig({}), notifier: recorder().notifier };
  const receipt = await ingestBytes(store, 'export.csv', bytes, { config: { alerts } });
  return { store, receipt, clock: (await readDeferralState(store, 'default'))?.asOf };
}

/** What the store holds, as text: no NUL or other C0 control character may be in it. */
async function storedText(store: ObjectStore): Promise<string> {
  let all = '';
  // Event parts are binary (gzip of hash columns): what is text in them, the group fields, is also in the rollups.
  // A pair index is a JSON line, then binary pairs: its line is text.
  for await (const o of store.list('')) {
    if (o.key.startsWith(AREA.eventParts)) continue;
    const body = (await store.get(o.key))!.body;
    all += Buffer.from(o.key.startsWith(AREA.pairs) ? body.subarray(0, body.indexOf(10)) : body).toString('utf8');
  }
  return all;
}

const table: string[] = [];
const good = await ingest(join(LINES));
// The data clock of the good export: the end of its last hour (its rows end at 04:21 UTC).
expect(good.clock).toBe(Date.parse('2026-11-20T05:00:00Z'));

describe('hostile-input suite: each file costs exactly its damaged rows, and no clock moves', () => {
  afterAll(() => {
    mkdirSync('test/artifacts', { recursive: true });
    const head = '| file | expected (rows · counted · rejected lines) | got |\n| --- | --- | --- |\n';
    writeFileSync('test/artifacts/hostile-files.md', head + table.join('\n') + '\n');
  });

  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const expected = await ingest(join((c.as ?? LINES).filter((_, i) => !c.lost.includes(i + 1))));
    const got = await ingest(c.bytes());
    const r = got.receipt;
    table.push(
      `| ${c.name} | ${c.rows} · ${expected.receipt.counted} · ${c.rejected.map((x) => x.line).join(', ') || '–'} | ` +
        `${r.rows} · ${r.counted} · ${r.rejectedRows.samples.map((x) => `${x.line} (${x.reason})`).join('; ') || '–'}; clock ${got.clock === good.clock ? 'unmoved' : new Date(got.clock ?? 0).toISOString()} |`,
    );
    expect(r).toMatchObject({ status: 'ingested', rows: c.rows, counted: expected.receipt.counted, events: expected.receipt.events });
    expect(r.rejectedRows.count).toBe(c.rejected.length);
    expect(r.rejectedRows.samples).toEqual(c.rejected.map(({ line, reason }) => ({ line, reason: expect.stringMatching(reason) })));
    if (c.warning) expect(r.warnings).toContainEqual(expect.stringMatching(c.warning));
    expect(got.clock).toBe(good.clock);
    expect(await storedText(got.store)).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]|\\u000[0-8]|\\u001/);
  });
});
