/** What the first bytes of a file say it is. Decided by content, never by file name. */

const SIGNATURES: Array<{ bytes: number[]; what: string }> = [
  { bytes: [0x89, 0x50, 0x4e, 0x47], what: 'a PNG image' },
  { bytes: [0x50, 0x4b, 0x03, 0x04], what: 'a ZIP archive (an .xlsx workbook or a zipped export): unzip it, or save the sheet as CSV' },
  { bytes: [0x50, 0x4b, 0x05, 0x06], what: 'an empty ZIP archive' },
  { bytes: [0x25, 0x50, 0x44, 0x46, 0x2d], what: 'a PDF document' },
  { bytes: [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1], what: 'a legacy Office file (.xls or .msg): save it as CSV' },
  { bytes: [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], what: 'a 7-Zip archive' },
  { bytes: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], what: 'an xz archive' },
  { bytes: [0x28, 0xb5, 0x2f, 0xfd], what: 'a zstd archive' },
  { bytes: [0x42, 0x5a, 0x68], what: 'a bzip2 archive' },
  { bytes: [0xff, 0xd8, 0xff], what: 'a JPEG image' },
  { bytes: [0x47, 0x49, 0x46, 0x38], what: 'a GIF image' },
  { bytes: [0x7f, 0x45, 0x4c, 0x46], what: 'an executable (ELF)' },
  { bytes: [0x4d, 0x5a], what: 'a Windows executable' },
];

export function isGzip(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

/** Returns a description of a known non-text file type, or null. */
export function describeBinarySignature(head: Uint8Array): string | null {
  for (const sig of SIGNATURES) {
    if (head.length >= sig.bytes.length && sig.bytes.every((b, i) => head[i] === b)) return sig.what;
  }
  return null;
}

/** `windows-1252` is never sniffed: a UTF-8 guess becomes it when fields read turn out not to be UTF-8. */
export type TextEncoding = 'utf-8' | 'utf-8-bom' | 'utf-16le' | 'utf-16le-nobom' | 'utf-16be' | 'utf-16be-nobom' | 'windows-1252';

export interface EncodingGuess {
  encoding: TextEncoding;
  bomBytes: number;
}

/**
 * BOM first; without one, UTF-16 shows as NUL in every other byte of ASCII text
 * (EAC downloads are UTF-16LE, "often with no BOM"). Otherwise the file is binary only when the
 * sample as a whole is not text: more than 10 % NUL and other control bytes (tab, line ends, form
 * feed and ESC aside; random or compressed bytes have about 10.5 %, executables far more). A stray NUL in one field is the field's problem, not the file's:
 * control characters are dropped from stored values (vocabulary/text.ts).
 */
export function sniffEncoding(head: Uint8Array): EncodingGuess | { binary: true } {
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return { encoding: 'utf-8-bom', bomBytes: 3 };
  if (head[0] === 0xff && head[1] === 0xfe) return { encoding: 'utf-16le', bomBytes: 2 };
  if (head[0] === 0xfe && head[1] === 0xff) return { encoding: 'utf-16be', bomBytes: 2 };
  const n = Math.min(head.length, 4096) & ~1;
  let evenZeros = 0;
  let oddZeros = 0;
  for (let i = 0; i < n; i += 2) {
    if (head[i] === 0) evenZeros++;
    if (head[i + 1] === 0) oddZeros++;
  }
  const pairs = n / 2;
  if (pairs > 0) {
    if (oddZeros >= pairs * 0.4 && evenZeros <= pairs * 0.05) return { encoding: 'utf-16le-nobom', bomBytes: 0 };
    if (evenZeros >= pairs * 0.4 && oddZeros <= pairs * 0.05) return { encoding: 'utf-16be-nobom', bomBytes: 0 };
  }
  const m = Math.min(head.length, 4096);
  let nul = 0;
  let control = 0;
  for (let i = 0; i < m; i++) {
    const b = head[i]!;
    if (b === 0) nul++;
    else if (b < 0x09 || (b > 0x0d && b < 0x20 && b !== 0x1b)) control++;
  }
  if (nul + control > m * 0.1) return { binary: true };
  return { encoding: 'utf-8', bomBytes: 0 };
}

export function hexPreview(head: Uint8Array, count = 8): string {
  return Array.from(head.subarray(0, count), (b) => b.toString(16).padStart(2, '0')).join(' ');
}
