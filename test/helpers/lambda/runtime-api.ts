import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

/** What the Runtime API received for one invocation: the handler's result, or its error. */
export type Outcome =
  { ok: true; result: unknown } | { ok: false; error: { errorType?: string; errorMessage?: string; stackTrace?: string[] } };

export interface InvokeOptions {
  /** The function's timeout: the deadline the runtime reports to the handler. */
  timeoutMs: number;
  functionArn: string;
}

interface Pending {
  id: string;
  event: unknown;
  options: InvokeOptions;
  resolve: (o: Outcome) => void;
}

/**
 * A Lambda Runtime API on loopback, as the Lambda service offers it to a runtime (the paths and
 * headers of "Using the Lambda runtime API for custom runtimes"): the runtime long-polls
 * `GET /2018-06-01/runtime/invocation/next`, answers with `POST …/{id}/response` or `…/{id}/error`,
 * and reports a failed start with `POST …/init/error`. One invocation at a time, as Lambda does.
 */
export async function startRuntimeApi(): Promise<{
  address: string;
  invoke(event: unknown, options: InvokeOptions): Promise<Outcome>;
  initError: Promise<Outcome>;
  close(): Promise<void>;
}> {
  const queue: Pending[] = [];
  const inFlight = new Map<string, Pending>();
  let poller: ServerResponse | null = null;
  let reportInitError: (o: Outcome) => void = () => {};
  const initError = new Promise<Outcome>((resolve) => (reportInitError = resolve));

  const dispatch = () => {
    if (!poller || queue.length === 0) return;
    const next = queue.shift()!;
    inFlight.set(next.id, next);
    const res = poller;
    poller = null;
    res.writeHead(200, {
      'content-type': 'application/json',
      'lambda-runtime-aws-request-id': next.id,
      'lambda-runtime-deadline-ms': String(Date.now() + next.options.timeoutMs),
      'lambda-runtime-invoked-function-arn': next.options.functionArn,
      'lambda-runtime-trace-id': `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomUUID().replace(/-/g, '').slice(0, 24)};Sampled=0`,
    });
    res.end(JSON.stringify(next.event));
  };

  const body = (req: IncomingMessage) =>
    new Promise<string>((resolve) => {
      let text = '';
      req.on('data', (d) => (text += d));
      req.on('end', () => resolve(text));
    });

  const server = createServer(async (req, res) => {
    const url = req.url ?? '';
    const text = await body(req);
    if (req.method === 'GET' && url === '/2018-06-01/runtime/invocation/next') {
      poller = res;
      return dispatch();
    }
    const done = /^\/2018-06-01\/runtime\/invocation\/([^/]+)\/(response|error)$/.exec(url);
    if (req.method === 'POST' && done) {
      const pending = inFlight.get(done[1]!);
      if (!pending) {
        res.writeHead(400, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify({ errorMessage: `unknown request id ${done[1]}`, errorType: 'InvalidRequestID' }));
      }
      inFlight.delete(done[1]!);
      res.writeHead(202, { 'content-type': 'application/json' });
      res.end('{"status":"OK"}');
      return pending.resolve(
        done[2] === 'response'
          ? { ok: true, result: text === '' ? null : JSON.parse(text) }
          : { ok: false, error: JSON.parse(text || '{}') },
      );
    }
    if (req.method === 'POST' && url === '/2018-06-01/runtime/init/error') {
      res.writeHead(202, { 'content-type': 'application/json' });
      res.end('{"status":"OK"}');
      const outcome: Outcome = { ok: false, error: JSON.parse(text || '{}') };
      reportInitError(outcome);
      for (const p of [...queue.splice(0), ...inFlight.values()]) p.resolve(outcome);
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ errorMessage: `${req.method} ${url} is not part of the Runtime API`, errorType: 'NotFound' }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as { port: number };
  return {
    address: `127.0.0.1:${port}`,
    invoke: (event, options) =>
      new Promise<Outcome>((resolve) => {
        queue.push({ id: randomUUID(), event, options, resolve });
        dispatch();
      }),
    initError,
    close: () =>
      new Promise<void>((r) => {
        poller?.destroy();
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
