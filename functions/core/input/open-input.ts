import { InputError } from '../errors.ts';
import { checkCaps, gunzip, type ByteCounters } from './gunzip.ts';
import { resolveLimits, type InputLimits } from './limits.ts';
import { describeBinarySignature, hexPreview, isGzip, sniffEncoding, type TextEncoding } from './sniff.ts';
import { utf16ToUtf8, type Utf16Damage } from './utf16.ts';

export interface OpenedInput {
  compression: 'gzip' | 'none';
  encoding: TextEncoding;
  /** Bytes of BOM skipped at the start of the (decompressed) file. */
  bomBytes: number;
  /** The text as UTF-8 bytes, BOM removed. */
  utf8: AsyncIterable<Uint8Array>;
  /** Filled in as `utf8` is consumed. */
  counters: ByteCounters;
  /** Unpaired surrogates and a stray last byte of a UTF-16 text, filled in as `utf8` is consumed. */
  utf16Damage: Utf16Damage;
}

export interface OpenInputOptions {
  limits?: Partial<InputLimits>;
  /** A file name, used only to catch a `.gz` name on a file that is not gzip. */
  nameHint?: string;
}

const SNIFF_BYTES = 4096;

/**
 * Turns raw bytes (an S3 body, a file stream) into UTF-8 text bytes: gzip detected by its
 * magic bytes, encoding by BOM or NUL pattern, caps enforced while streaming.
 */
export async function openInput(source: AsyncIterable<Uint8Array>, options: OpenInputOptions = {}): Promise<OpenedInput> {
  const limits = resolveLimits(options.limits);
  const counters: ByteCounters = { compressedBytes: 0, decompressedBytes: 0 };
  const raw = await peek(source, SNIFF_BYTES);

  const rawSignature = describeBinarySignature(raw.head);
  if (rawSignature)
    throw new InputError('NOT_TEXT', `this is ${rawSignature}, not a CSV or log export (first bytes ${hexPreview(raw.head)})`, {
      byteOffset: 0,
    });

  let decompressed: AsyncIterable<Uint8Array>;
  let compression: OpenedInput['compression'];
  if (isGzip(raw.head)) {
    compression = 'gzip';
    decompressed = gunzip(raw.stream, limits, counters);
  } else {
    if (options.nameHint && /\.gz$/i.test(options.nameHint) && raw.head.length > 0) {
      throw new InputError(
        'NOT_GZIP',
        `the name ends in .gz but the file is not gzip (first bytes ${hexPreview(raw.head)}); rename it or compress it with gzip`,
        { byteOffset: 0 },
      );
    }
    compression = 'none';
    decompressed = countPlain(raw.stream, limits, counters);
  }

  const text = await peek(decompressed, SNIFF_BYTES);
  if (compression === 'gzip') {
    const inner = describeBinarySignature(text.head);
    if (inner) throw new InputError('NOT_TEXT', `the gzip file contains ${inner}, not a CSV or log export`, { byteOffset: 0 });
  }
  const guess = sniffEncoding(text.head);
  if ('binary' in guess) {
    throw new InputError(
      'NOT_TEXT',
      `the file contains NUL bytes in a pattern that is neither UTF-8 nor UTF-16 text: it looks binary (first bytes ${hexPreview(text.head)})`,
      { byteOffset: text.head.indexOf(0) },
    );
  }
  const body = skip(text.stream, guess.bomBytes);
  const utf16Damage: Utf16Damage = { loneSurrogates: 0, firstLoneSurrogateAt: null, oddLastByteAt: null };
  let utf8: AsyncIterable<Uint8Array>;
  if (guess.encoding.startsWith('utf-16')) utf8 = utf16ToUtf8(body, guess.encoding.startsWith('utf-16le'), guess.bomBytes, utf16Damage);
  else utf8 = body;
  return { compression, encoding: guess.encoding, bomBytes: guess.bomBytes, utf8, counters, utf16Damage };
}

async function* countPlain(source: AsyncIterable<Uint8Array>, limits: InputLimits, counters: ByteCounters) {
  for await (const chunk of source) {
    counters.compressedBytes += chunk.length;
    counters.decompressedBytes += chunk.length;
    checkCaps(counters, limits);
    yield chunk;
  }
}

async function* skip(source: AsyncIterable<Uint8Array>, n: number) {
  let left = n;
  for await (const chunk of source) {
    if (left >= chunk.length) {
      left -= chunk.length;
      continue;
    }
    yield left ? chunk.subarray(left) : chunk;
    left = 0;
  }
}

/** Reads at least `n` bytes (or all there is) and returns them plus a stream that replays them. */
async function peek(source: AsyncIterable<Uint8Array>, n: number): Promise<{ head: Uint8Array; stream: AsyncIterable<Uint8Array> }> {
  const it = source[Symbol.asyncIterator]();
  const taken: Uint8Array[] = [];
  let size = 0;
  let done = false;
  while (size < n) {
    const r = await it.next();
    if (r.done) {
      done = true;
      break;
    }
    if (r.value.length === 0) continue;
    taken.push(r.value);
    size += r.value.length;
  }
  const head = taken.length === 1 ? taken[0]! : Buffer.concat(taken);
  async function* replay() {
    for (const c of taken) yield c;
    if (done) return;
    while (true) {
      const r = await it.next();
      if (r.done) return;
      yield r.value;
    }
  }
  // If the consumer stops early, close the underlying source too.
  const stream: AsyncIterable<Uint8Array> = {
    [Symbol.asyncIterator]() {
      const inner = replay();
      return {
        next: () => inner.next(),
        return: async (v?: unknown) => {
          await it.return?.();
          return inner.return(v as undefined);
        },
      };
    },
  };
  return { head: head.subarray(0, Math.min(head.length, n)), stream };
}
