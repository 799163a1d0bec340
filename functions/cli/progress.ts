import { terminalSafe } from '../core/vocabulary/text.ts';

/**
 * A one-line progress bar with bytes/s for long ingestions, on a terminal only: nothing when
 * output is piped or JSON is asked for.
 */
export interface Progress {
  start(label: string, total: number): void;
  advance(bytes: number): void;
  done(): void;
}

export const noProgress: Progress = { start() {}, advance() {}, done() {} };

export function createProgress(stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number }): Progress {
  if (!stream.isTTY) return noProgress;
  let label = '';
  let total = 0;
  let seen = 0;
  let started = 0;
  let lastDraw = 0;
  const draw = (force = false) => {
    const now = Date.now();
    if (!force && now - lastDraw < 100) return;
    lastDraw = now;
    const secs = Math.max((now - started) / 1000, 0.001);
    const frac = total ? Math.min(seen / total, 1) : 0;
    const width = 24;
    const bar = '#'.repeat(Math.round(frac * width)).padEnd(width, '.');
    const line = `${terminalSafe(label).slice(-40).padEnd(40)} [${bar}] ${(frac * 100).toFixed(0).padStart(3)}% ${(seen / 1e6 / secs).toFixed(1)} MB/s`;
    stream.write(`\r${line.slice(0, (stream.columns ?? 100) - 1)}`);
  };
  return {
    start(l, t) {
      label = l;
      total = t;
      seen = 0;
      started = Date.now();
      draw(true);
    },
    advance(n) {
      seen += n;
      draw();
    },
    done() {
      stream.write('\r\x1b[K');
    },
  };
}
