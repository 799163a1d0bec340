import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import { createRandom } from '../../functions/core/generate/scenario.ts';

export type Fault = 'slowdown' | '500' | '502' | '504' | 'reset';

export interface FaultProxyOptions {
  /** Where the real S3 server listens. */
  target: { host: string; port: number };
  /** Share of requests that fail, 0..1 (1 = every request). */
  failRate?: number;
  /** Only requests whose path matches can fail (default: every request). */
  failMatch?: RegExp;
  faults?: Fault[];
  seed?: number;
  /**
   * For GET of keys matching this: send the headers and `share` of the body (default all), then
   * `stall` or `cut` (default: end normally); with `writeSizes`, in writes of those sizes (cycled),
   * yielding between them, so the client reads the body in other chunks than S3 sends.
   */
  body?: { match: RegExp; share?: number; then?: 'stall' | 'cut'; writeSizes?: number[] };
}

/**
 * An HTTP proxy on loopback in front of the S3 server that injects faults, so the SDK's own retry
 * logic runs (a client mock would skip it: a rejected mock command is sent once, never retried). The Host header is passed through
 * unchanged, so SigV4 signatures still verify at the server.
 */
export async function startFaultProxy(
  options: FaultProxyOptions,
): Promise<{ endpoint: string; server: Server; counts: Record<string, number>; setFailRate(rate: number): void; close(): Promise<void> }> {
  const rng = createRandom(options.seed ?? 1);
  const counts: Record<string, number> = { requests: 0, injected: 0, stalled: 0, cut: 0 };
  let failRate = options.failRate ?? 0;
  const faults = options.faults ?? ['slowdown'];
  const held = new Set<IncomingMessage>();
  const server = createServer((req, res) => {
    counts.requests!++;
    const op = operation(req.method ?? '', req.url ?? '');
    counts[op] = (counts[op] ?? 0) + 1;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if ((!options.failMatch || options.failMatch.test(req.url ?? '')) && rng.next() < failRate) {
        counts.injected!++;
        const fault = rng.pick(faults);
        if (fault === 'reset') return void req.socket.destroy();
        const status = fault === 'slowdown' ? 503 : Number(fault);
        const code = fault === 'slowdown' ? 'SlowDown' : status === 500 ? 'InternalError' : 'ServiceUnavailable';
        res.writeHead(status, { 'content-type': 'application/xml' });
        return void res.end(
          `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>injected by the test proxy</Message></Error>`,
        );
      }
      const upstream = request(
        { host: options.target.host, port: options.target.port, method: req.method, path: req.url, headers: req.headers },
        (up) => {
          const shaping = options.body && req.method === 'GET' && options.body.match.test(req.url ?? '') && up.statusCode === 200;
          res.writeHead(up.statusCode ?? 502, up.headers);
          if (!shaping) return void up.pipe(res);
          const shape = options.body!;
          const total = Number(up.headers['content-length'] ?? 0);
          const limit = Math.floor(total * (shape.share ?? 1));
          const sizes = shape.writeSizes ?? [Number.POSITIVE_INFINITY];
          void (async () => {
            let sent = 0;
            let k = 0;
            for await (const c of up as AsyncIterable<Buffer>) {
              for (let at = 0; at < c.length && sent < limit;) {
                const n = Math.min(sizes[k++ % sizes.length]!, c.length - at, limit - sent);
                const flowing = res.write(c.subarray(at, at + n));
                at += n;
                sent += n;
                if (!flowing) await new Promise((r) => res.once('drain', r));
                else if (shape.writeSizes) await new Promise((r) => setImmediate(r));
              }
              if (sent >= limit) break;
            }
            if (shape.then === 'cut') {
              counts.cut!++;
              req.socket.destroy(); // the body ends short of its Content-Length
            } else if (shape.then === 'stall') {
              counts.stalled!++;
              held.add(req); // keep the connection open and silent
            } else res.end();
          })().catch(() => req.socket.destroy());
        },
      );
      upstream.on('error', () => req.socket.destroy());
      upstream.end(Buffer.concat(chunks));
    });
  });
  // Node closes an idle keep-alive socket after 5 s; the SDK's backoff between attempts can be longer,
  // and a request sent on a socket the proxy is closing never reaches it: an attempt the proxy would
  // not count (F16 counted 11 of 12 once, under load).
  server.keepAliveTimeout = 120_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    server,
    counts,
    setFailRate: (rate) => (failRate = rate),
    close: () =>
      new Promise<void>((r) => {
        for (const req of held) req.socket.destroy();
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** The S3 operation of a path-style request, as the request counts name it: GET, PUT, HEAD, DELETE, LIST, POST. */
export function operation(method: string, url: string): string {
  const [path = '', query = ''] = url.split('?');
  // A path of only the bucket is a bucket operation: a GET there lists (list-type=2, versions …).
  const bucketOnly = path.replace(/^\/+|\/+$/g, '').split('/').length === 1;
  if (method === 'GET' && (bucketOnly || /(^|&)list-type=/.test(query))) return 'LIST';
  return method;
}
