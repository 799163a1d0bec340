import { terminalSafe } from '../core/vocabulary/text.ts';
import type { Io } from './args.ts';

type Stream = Io['stdout'];

const RAW = Symbol('raw stream');

/**
 * The command's output with every control character neutralised (vocabulary/text.ts
 * terminalSafe): file names, header cells, destinations and reasons come from exports, and reach
 * the admin's terminal through many writes; one filter at the stream catches them all. Everything
 * else about the stream (isTTY, columns, events) is the stream's own.
 */
export function safeIo(io: Io): Io {
  return { stdout: neutralised(io.stdout), stderr: neutralised(io.stderr) };
}

function neutralised(stream: Stream): Stream {
  return new Proxy(stream, {
    get(target, prop, receiver) {
      if (prop === RAW) return target;
      if (prop === 'write') {
        return (chunk: unknown, ...rest: unknown[]) => {
          const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk);
          return (target.write as (c: string, ...r: unknown[]) => boolean).call(target, terminalSafe(text), ...rest);
        };
      }
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

/** The stream under the filter, for our own control sequences (the progress bar's `\r` and erase). */
export function rawStream<S extends Stream>(stream: S): S {
  return ((stream as unknown as Record<symbol, S>)[RAW] ?? stream) as S;
}
