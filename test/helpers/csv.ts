import { CsvReader, type BadRecord, type CsvEndInfo, type HeaderInfo } from '../../functions/core/csv/csv-reader.ts';

export interface Parsed {
  header: HeaderInfo | null;
  rows: Array<{ line: number; fields: string[] }>;
  bad: BadRecord[];
  end: CsvEndInfo;
}

/** Parses UTF-8 bytes fed in the given chunk sizes; collects every field of every record. */
export function parseCsv(
  bytes: Uint8Array,
  sizes: number[] = [bytes.length || 1],
  opts: Partial<{ maxRecordBytes: number; maxColumns: number; headBytes: number }> = {},
): Parsed {
  let header: HeaderInfo | null = null;
  const rows: Parsed['rows'] = [];
  const bad: BadRecord[] = [];
  const reader = new CsvReader(
    { maxRecordBytes: opts.maxRecordBytes ?? 1 << 20, maxColumns: opts.maxColumns ?? 512 },
    {
      onHeader: (h) => {
        header = h;
      },
      onRecord: (r) => {
        const fields: string[] = [];
        for (let i = 0; i < r.fieldCount; i++) fields.push(r.text(i, opts.headBytes));
        rows.push({ line: r.line, fields });
      },
      onBadRecord: (b) => bad.push(b),
    },
  );
  let i = 0;
  let k = 0;
  while (i < bytes.length) {
    const n = Math.max(1, sizes[k++ % sizes.length]!);
    reader.push(bytes.subarray(i, i + n));
    i += n;
  }
  const end = reader.end();
  return { header, rows, bad, end };
}
