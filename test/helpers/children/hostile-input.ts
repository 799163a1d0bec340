/**
 * Feeds one kind of hostile input to readExport in this (child) process and reports the error,
 * the time from the moment the cap was crossed, and peak memory. Used by malformed-input.test.ts.
 */
import { createGzip } from 'node:zlib';
import { readExport } from '../../../functions/core/read/read-export.ts';

const kind = process.argv[2];
const MiB = 1024 * 1024;

/**
 * One gzip member holding 64 MiB of text-like filler (lines of spaces, ~1000:1 compressed), built
 * without holding 64 MiB. Zeros would be caught earlier, as binary, by the encoding sniff.
 */
async function fillerMember(): Promise<Buffer> {
  const gz = createGzip({ level: 9 });
  const parts: Buffer[] = [];
  gz.on('data', (d: Buffer) => parts.push(d));
  const done = new Promise((r) => gz.on('end', r));
  const line = ' '.repeat(1022) + '\r\n';
  const block = Buffer.from(line.repeat(1024)); // 1 MiB
  for (let i = 0; i < 64; i++) if (!gz.write(block)) await new Promise((r) => gz.once('drain', r));
  gz.end();
  await done;
  return Buffer.concat(parts);
}

const member = kind?.startsWith('gzip-bomb') ? await fillerMember() : Buffer.alloc(0);
// The peak so far (module loading can peak above the current RSS), so that only growth caused by
// the work itself counts against the bound.
const baselineRssKiB = process.resourceUsage().maxRSS;

async function* gzipBomb(members: number) {
  // A real header, then 80 members of 64 MiB: 5 GiB from about 5 MiB of gzip.
  const { gzipSync } = await import('node:zlib');
  yield gzipSync('"Received","RecipientAddress","Status"\r\n');
  for (let i = 0; i < members; i++) yield member;
}

// After each hostile record, one good row: reading must resume there.
const GOOD_ROW = '\r\n"11/20/2026 10:00:00 AM","r@contoso.com","Failed"\r\n';

async function* giantField(quoted: boolean) {
  yield Buffer.from('"Received","RecipientAddress","Status"\r\n' + (quoted ? '"' : ''));
  const block = Buffer.alloc(64 * 1024, 0x61);
  for (let i = 0; i < 1600; i++) yield block; // 100 MiB, never a delimiter
  yield Buffer.from(GOOD_ROW);
}

async function* manyColumns() {
  yield Buffer.from('"Received","RecipientAddress","Status"\r\n');
  const block = Buffer.from(','.repeat(64 * 1024));
  for (let i = 0; i < 16; i++) yield block; // a 1,000,000-column line
  yield Buffer.from(GOOD_ROW);
}

const sources: Record<string, () => AsyncIterable<Uint8Array>> = {
  'gzip-bomb': () => gzipBomb(80),
  'gzip-bomb-absolute': () => gzipBomb(80),
  'giant-quoted-field': () => giantField(true),
  'giant-field': () => giantField(false),
  'million-columns': () => manyColumns(),
};

const limits = kind === 'gzip-bomb-absolute' ? { maxCompressionRatio: Number.POSITIVE_INFINITY, maxDecompressedBytes: 512 * MiB } : {};
const started = performance.now();
let result: Record<string, unknown>;
try {
  const s = await readExport(sources[kind!]!(), { limits }, () => {});
  result = { ok: true, rows: s.rows, failed: s.events.failed, rejected: s.rejectedRows.samples };
} catch (err) {
  const e = err as { code?: string; message: string; byteOffset?: number; line?: number; name: string };
  result = { ok: false, name: e.name, code: e.code, message: e.message, byteOffset: e.byteOffset ?? null, line: e.line ?? null };
}
result.seconds = (performance.now() - started) / 1000;
process.stdout.write(`${JSON.stringify({ result, peakRssKiB: process.resourceUsage().maxRSS, baselineRssKiB })}\n`);
