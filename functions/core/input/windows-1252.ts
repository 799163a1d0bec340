/**
 * Windows-1252 ("ANSI", what Excel writes for "CSV" on Western systems) to text. Bytes 0x80–0x9F
 * are the code page's own characters (€, ’, “ …); the rest is Latin-1. Hand-written because Node's
 * TextDecoder('windows-1252') decodes 0x80–0x9F as C1 controls (Latin-1), losing € and the quotes.
 * The five bytes the code page leaves undefined keep their C1 code points, as WHATWG does.
 */
const HIGH = [
  0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d, 0x17d, 0x8f, 0x90, 0x2018, 0x2019,
  0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x2dc, 0x2122, 0x161, 0x203a, 0x153, 0x9d, 0x17e, 0x178,
];

export function decodeWindows1252(bytes: Uint8Array, start: number, end: number): string {
  let out = '';
  for (let i = start; i < end; i++) {
    const b = bytes[i]!;
    out += String.fromCharCode(b >= 0x80 && b < 0xa0 ? HIGH[b - 0x80]! : b);
  }
  return out;
}
