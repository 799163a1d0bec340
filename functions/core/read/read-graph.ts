import type { RecordView } from '../csv/csv-reader.ts';
import { CsvFormatError, RowError, UnrecognizedFormatError } from '../errors.ts';
import { GraphRows, graphKindOf } from '../formats/graph.ts';
import type { FamilyMapper } from '../formats/families.ts';

/**
 * A page holds at most 5,000 rows (Graph's `$top` limit), a few MB; past this it is not a page
 * Graph wrote, and it is not held in memory to find out.
 */
export const MAX_PAGE_BYTES = 16 * 1024 * 1024;

export interface GraphTextHandlers {
  /** The family, once the first JSON object says which (before any record). */
  family(mapper: FamilyMapper, warnings: string[]): void;
  record(record: RecordView): void;
  reject(line: number, reason: string): void;
}

export interface GraphTextOptions {
  maxRecordBytes: number;
  signal?: AbortSignal;
  afterChunk?: () => Promise<void> | void;
  /** Told the UTF-8 bytes of each chunk as it is read. */
  onBytes(n: number): void;
}

/** Whether a text (its first bytes) starts like JSON: a `{` after whitespace. */
export function startsLikeJson(head: Uint8Array): boolean {
  for (const b of head) {
    if (b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d) continue;
    return b === 0x7b;
  }
  return false;
}

/**
 * Reads a Graph family from UTF-8 text: a messageTraces page (one JSON document, compact or
 * indented; at most MAX_PAGE_BYTES) or detail events as JSON lines (streamed, one line at a time,
 * each within `maxRecordBytes`; a bad line is rejected and reading goes on). Returns false when the
 * text holds nothing but whitespace.
 */
export async function readGraphText(utf8: AsyncIterable<Uint8Array>, options: GraphTextOptions, on: GraphTextHandlers): Promise<boolean> {
  const decoder = new TextDecoder('utf-8');
  let rows: GraphRows | null = null;
  // first: nothing read yet; lines: detail events; page: an indented page, read whole at the end;
  // done: a compact page, read from its one line (anything after it but whitespace is an error).
  let mode: 'first' | 'lines' | 'page' | 'done' = 'first';
  let pending = '';
  let line = 0; // lines completed
  let skipping = false; // inside a line over the record cap

  const start = (kind: 'graph-trace' | 'graph-detail', warnings: string[] = []) => {
    rows = new GraphRows(kind);
    on.family(rows.mapper, warnings);
  };
  const use = (value: unknown, at: number, where = '') => {
    try {
      on.record(rows!.record(value, at));
    } catch (err) {
      if (err instanceof RowError) return on.reject(at, where + err.message);
      throw err;
    }
  };
  const detailLine = (text: string, at: number) => {
    if (text.trim() === '') return;
    if (nestedDeeperThan(text, MAX_DEPTH)) return on.reject(at, `JSON nested deeper than ${MAX_DEPTH} levels: not a detail event`);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      return on.reject(at, `not a JSON object: ${(err as Error).message}`);
    }
    use(value, at);
  };
  const page = (value: { value: unknown[]; '@odata.nextLink'?: unknown }) => {
    start(
      'graph-trace',
      typeof value['@odata.nextLink'] === 'string'
        ? [
            'this page has a next one (@odata.nextLink): Graph gives at most $top rows a page and the rest in the pages after it; save every page (mailflow collect follows the links itself)',
          ]
        : [],
    );
    value.value.forEach((row, i) => use(row, i + 1, `value[${i}]: `));
  };
  /** The first line decides: a whole compact page, the first of many detail events, or the start of an indented page. */
  const first = (text: string, at: number): typeof mode => {
    if (nestedDeeperThan(text, MAX_DEPTH)) throw tooDeep();
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return 'page';
    }
    const kind = graphKindOf(value);
    if (kind === 'graph-trace') return (page(value as Parameters<typeof page>[0]), 'done');
    if (kind === 'graph-detail') return (start('graph-detail'), use(value, at), 'lines');
    throw unknownJson(value);
  };
  const afterPage = (text: string) => {
    if (text.trim() !== '')
      throw new CsvFormatError('BAD_JSON', `more text after the page's JSON (line ${line}): one page per file`, { line });
  };

  for await (const chunk of utf8) {
    options.signal?.throwIfAborted();
    options.onBytes(chunk.length);
    pending += decoder.decode(chunk, { stream: true });
    if (mode === 'page') {
      if (pending.length > MAX_PAGE_BYTES) throw tooLarge();
      continue;
    }
    for (let nl = pending.indexOf('\n'); nl >= 0 && mode !== 'page'; nl = pending.indexOf('\n')) {
      const text = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      line++;
      if (skipping) skipping = false;
      // A line over the cap is rejected whether it came whole in one chunk or spread over several (below).
      else if (mode === 'lines' && text.length > options.maxRecordBytes) on.reject(line, overCap(options.maxRecordBytes));
      else if (mode === 'lines') detailLine(text, line);
      else if (mode === 'done') afterPage(text);
      else if (text.trim() !== '') {
        // Over the cap, the first line is read as a page (below: what a first line still arriving does).
        mode = text.length > options.maxRecordBytes ? 'page' : first(text, line);
        // An indented page: its lines make sense only together.
        if (mode === 'page') pending = `${text}\n${pending}`;
      }
    }
    if (mode !== 'page' && pending.length > options.maxRecordBytes) {
      if (mode === 'first')
        mode = 'page'; // a compact page on one line: read whole
      else if (mode === 'lines') {
        on.reject(line + 1, overCap(options.maxRecordBytes));
        pending = '';
        skipping = true;
      } else afterPage(pending);
    }
    if (options.afterChunk) await options.afterChunk();
  }
  pending += decoder.decode();

  if (mode === 'lines') {
    if (!skipping) detailLine(pending, line + 1);
  } else if (mode === 'done') afterPage(pending);
  else if (mode === 'page' || pending.trim() !== '') {
    if (pending.length > MAX_PAGE_BYTES) throw tooLarge();
    // Millions of nested brackets parse into millions of objects: a page is 3 levels deep, a row 1.
    if (nestedDeeperThan(pending, MAX_DEPTH)) throw tooDeep();
    let value: unknown;
    try {
      value = JSON.parse(pending);
    } catch (err) {
      throw new CsvFormatError('BAD_JSON', `the file starts like JSON but is not: ${(err as Error).message}`, { line: 1 });
    }
    const kind = graphKindOf(value);
    if (kind === 'graph-trace') page(value as Parameters<typeof page>[0]);
    else if (kind === 'graph-detail') {
      // One detail event alone, without a line break after it.
      start('graph-detail');
      use(value, line + 1);
    } else throw unknownJson(value);
  }
  return rows !== null;
}

/** Deeper than any Graph response (a page's rows are at depth 2): refused before JSON.parse builds it. */
const MAX_DEPTH = 32;

/** Whether brackets outside strings nest deeper than `max` (a linear scan, no parsing). */
function nestedDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // a backslash escapes the next character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

function tooDeep(): CsvFormatError {
  return new CsvFormatError('BAD_JSON', `JSON nested deeper than ${MAX_DEPTH} levels: not a messageTraces page`, { line: 1 });
}

function tooLarge(): CsvFormatError {
  return new CsvFormatError(
    'JSON_PAGE_TOO_LARGE',
    `a JSON document over ${MAX_PAGE_BYTES / 1024 / 1024} MiB: a messageTraces page holds at most 5,000 rows (a few MB); detail events go one per line`,
    { line: 1 },
  );
}

function unknownJson(value: unknown): UnrecognizedFormatError {
  const keys = typeof value === 'object' && value !== null && !Array.isArray(value) ? Object.keys(value).slice(0, 20).join(', ') : null;
  return new UnrecognizedFormatError(
    'UNRECOGNIZED_JSON',
    `JSON, but not a Microsoft Graph message trace we know${keys ? ` (fields: ${keys})` : ''}. Expected a messageTraces page (an object with "value", as Graph returns it) or detail events, one JSON object per line with "messageTraceId", "recipientAddress", "dateTime", "event" and "description"`,
    { line: 1 },
  );
}

const overCap = (max: number) => `a line over ${max} bytes (the limit for one detail event)`;
