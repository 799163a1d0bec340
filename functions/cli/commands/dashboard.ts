import { MAX_REQUESTS_PER_QUESTION, withWorkBudget } from '../../core/store/work-budget.ts';
import { STORE_OPTIONS, defineCommand, languageOf, storeFrom } from '../command.ts';
import { createServer, type Server } from 'node:http';
import { UsageError } from '../../core/errors.ts';
import type { ObjectStore } from '../../core/ports.ts';
import { ALL_TENANTS, contentSecurityPolicy } from '../../core/render/report-html.ts';
import { parseRange } from '../../core/render/report-load.ts';
import { renderReport } from '../../core/render/report.ts';
import { tenantsWithResults } from '../../core/query/query.ts';
import { wholeNumber } from '../args.ts';
import { S3_HELP } from '../s3-options.ts';
import type { Lang } from '../../core/vocabulary/language.ts';

export const DASHBOARD_HELP = `Usage: mailflow dashboard [--data-dir D | --bucket B] [--port 8025] [--lang en|it]

Serves the dashboard on http://127.0.0.1:<port>/ (this machine only). Every change of tenant or
range asks the data again, so a refresh shows what the last upload changed. The page is the one
report --html writes: it loads nothing from anywhere else.

Options:
  --data-dir D       the data folder (default .mailflow)
  --bucket B         the deployed pipeline's bucket (your AWS credentials)
  --port N           port on 127.0.0.1 (default 8025; 0 picks a free one)
  --lang en|it       language (default: from mailflow.config.json or --config)
  --config FILE      the rules and tenant settings file
${S3_HELP}`;

export const dashboardCommand = defineCommand({
  name: 'dashboard',
  help: DASHBOARD_HELP,
  options: { port: { type: 'string' }, lang: { type: 'string' }, config: { type: 'string' }, ...STORE_OPTIONS },
  positionals: false,
  async run({ values, io }) {
    const store: ObjectStore = await storeFrom(values);
    const lang = await languageOf(values.lang, values.config, null);
    const dashboard = await startDashboard(store, {
      port: wholeNumber('port', values.port, 8025),
      lang,
      log: (line) => io.stderr.write(`${line}\n`),
    });
    io.stdout.write(`mailflow dashboard on ${dashboard.url} (Ctrl-C to stop)\n`);
    await new Promise<void>((resolve) => {
      const stop = () => dashboard.close().then(resolve);
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    return 0;
  },
});

export interface Dashboard {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/**
 * The local server: GET / (with ?tenant=&range=) renders a live page from the store, fresh on
 * every request. Bound to 127.0.0.1: the data is the tenant's mail flow, not for the network.
 */
export async function startDashboard(
  store: ObjectStore,
  options: { port: number; lang: Lang; log?: (line: string) => void },
): Promise<Dashboard> {
  // Listing every summary to find the tenants is the slow part on a big bucket; new tenants show up within 30 s.
  let known: { at: number; tenants: Promise<string[]> } | null = null;
  const tenantList = () => {
    if (!known || Date.now() - known.at > 30_000)
      known = {
        at: Date.now(),
        tenants: tenantsWithResults(store).catch((err: unknown) => {
          known = null;
          throw err;
        }),
      };
    return known.tenants;
  };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const headers = {
      'content-security-policy': `${contentSecurityPolicy('live')}; frame-ancestors 'none'`,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-store',
    };
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { ...headers, 'content-type': `${type}; charset=utf-8` });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    // DNS rebinding: a web page can point its own name at 127.0.0.1 and read this one; such requests
    // carry that name in Host, so only our own address is answered.
    const port = (server.address() as { port: number }).port;
    if (req.headers.host !== `127.0.0.1:${port}` && req.headers.host !== `localhost:${port}`)
      return send(421, 'text/plain', `open the dashboard as http://127.0.0.1:${port}/\n`);
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'text/plain', 'the dashboard is read-only\n');
    if (url.pathname !== '/') return send(404, 'text/plain', `nothing at ${url.pathname}; the dashboard is at /\n`);
    (async () => {
      const tenant = url.searchParams.get('tenant');
      const tenants = await tenantList();
      // Each page may read only so much, whatever the bucket holds.
      const budget = withWorkBudget(store, MAX_REQUESTS_PER_QUESTION, 'pick one tenant or a shorter range');
      const page = await renderReport(budget, {
        mode: 'live',
        lang: options.lang,
        tenant: !tenant || tenant === ALL_TENANTS ? null : tenant,
        range: parseRange(url.searchParams.get('range') ?? undefined),
        tenants,
        now: Date.now(),
      });
      send(200, 'text/html', page.html);
    })().catch((err: unknown) => {
      if (err instanceof UsageError) return send(400, 'text/plain', `${err.message}\n`);
      options.log?.(`dashboard: ${(err as Error).stack ?? String(err)}`);
      send(500, 'text/plain', 'the dashboard could not read the data; see the terminal\n');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new UsageError('PORT_IN_USE', `port ${options.port} is in use; choose another with --port`) : err),
    );
    server.listen(options.port, '127.0.0.1', resolve);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    url: `http://127.0.0.1:${port}/`,
    server,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
