import { execFileSync } from 'node:child_process';
import { constants, createHash, randomBytes, verify, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detailRows, traceRow } from '../../functions/core/generate/graph.ts';
import { snapshot, type GenMessage } from '../../functions/core/generate/scenario.ts';

/**
 * A loopback stand-in for Microsoft Graph's message trace API and the Entra token endpoint, as
 * Microsoft documents them: HTTPS (a test CA, trusted through NODE_EXTRA_CA_CERTS or a `ca`
 * option), a token endpoint that checks the client assertion's signature against the app's
 * registered certificate, `messageTraces` with both `receivedDateTime` bounds required (at most 10
 * days, starting within the last 90), `$top` 1–5,000 (1,000 by default), newest first, paged by
 * `@odata.nextLink`; `getDetailsByRecipient`; 100 requests per 5 minutes per tenant shared by
 * list and detail calls (429 with Retry-After); a 401 naming the missing first-party service
 * principal for a tenant that lacks it. Its data is the generator's messages as they stand at
 * the stand-in's clock, so rows of the last hours change between reads, as real ones do.
 */
export interface StandinTenant {
  /** The Entra tenant id the app signs in to. */
  id: string;
  messages: GenMessage[];
  /** The first-party service principal (8bd644d1-…) exists in the tenant (default true). */
  provisioned?: boolean;
  /** The app has a service principal in the tenant: an admin consented (default true). */
  consented?: boolean;
  /** ExchangeMessageTrace.Read.All was granted (default true). */
  permission?: boolean;
}

export interface StandinOptions {
  tenants: StandinTenant[];
  clientId: string;
  /** The app's registered certificate (PEM): assertions must be signed by its key. */
  appCertificate: string;
  /** The stand-in's time (ms): what "now" is for the data, the 90-day bound and throttling. */
  now: () => number;
  limit?: { requests: number; windowMs: number };
}

export interface TenantLog {
  list: number;
  detail: number;
  throttled: number;
  /** Request times (list and detail, throttled ones too), to check a budget against. */
  times: number[];
  /** Requests other tools made (useQuota): they count against the same quota. */
  others: number[];
}

export interface GraphStandin {
  url: string;
  /** The test CA's certificate (PEM), and a file holding it (for NODE_EXTRA_CA_CERTS). */
  ca: string;
  caFile: string;
  log: Map<string, TenantLog>;
  /** Requests another tool makes in the tenant: they use the same quota. */
  useQuota(tenant: string, n: number): void;
  close(): Promise<void>;
}

export const FIRST_PARTY_APP = '8bd644d1-64a1-4d4b-ae52-2e0cbf64e373';
const DAY = 86_400_000;

/** A test CA, a server certificate for 127.0.0.1 signed by it, and an app certificate with its key (openssl). */
export function testCertificates(): {
  dir: string;
  caCert: string;
  caFile: string;
  serverKey: string;
  serverCert: string;
  appKey: string;
  appCert: string;
} {
  const dir = mkdtempSync(join(tmpdir(), 'mailflow-graph-'));
  const f = (n: string) => join(dir, n);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  const selfSigned = (name: string, subject: string) =>
    ssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      f(`${name}.key`),
      '-out',
      f(`${name}.pem`),
      '-days',
      '2',
      '-subj',
      subject,
    );
  selfSigned('ca', '/CN=mailflow test CA');
  ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', '/CN=127.0.0.1');
  writeFileSync(f('san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  ssl(
    'x509',
    '-req',
    '-in',
    f('server.csr'),
    '-CA',
    f('ca.pem'),
    '-CAkey',
    f('ca.key'),
    '-CAcreateserial',
    '-out',
    f('server.pem'),
    '-days',
    '2',
    '-extfile',
    f('san.ext'),
  );
  selfSigned('app', '/CN=mailflow collector');
  const read = (n: string) => readFileSync(f(n), 'utf8');
  return {
    dir,
    caCert: read('ca.pem'),
    caFile: f('ca.pem'),
    serverKey: read('server.key'),
    serverCert: read('server.pem'),
    appKey: read('app.key'),
    appCert: read('app.pem'),
  };
}

export async function startGraphStandin(options: StandinOptions, certs = testCertificates()): Promise<GraphStandin> {
  const limit = options.limit ?? { requests: 100, windowMs: 5 * 60_000 };
  // Graph's rows are unique per trace id and recipient; the generator can name a recipient twice.
  const unique = (ms: GenMessage[]) =>
    ms.map((m) => ({ ...m, recipients: m.recipients.filter((r, i) => m.recipients.findIndex((x) => x.address === r.address) === i) }));
  const byId = new Map(
    options.tenants.map((t) => {
      const messages = unique(t.messages).sort((a, b) => a.received - b.received);
      // prefix[i]: rows (message × recipient) of the messages before i: pages by offset without building them all.
      const prefix = [0];
      for (const m of messages) prefix.push(prefix.at(-1)! + m.recipients.length);
      return [t.id, { ...t, messages, prefix, byTrace: new Map(messages.map((m) => [m.traceId, m])) }];
    }),
  );
  const log = new Map(
    options.tenants.map((t) => [
      t.id,
      { list: 0, detail: 0, throttled: 0, times: [] as number[], others: [] as number[] } satisfies TenantLog,
    ]),
  );
  const tokens = new Map<string, string>(); // access token → tenant id
  const appCert = new X509Certificate(options.appCertificate);
  const thumb256 = createHash('sha256').update(appCert.raw).digest('base64url');
  const thumb1 = createHash('sha1').update(appCert.raw).digest('base64url');
  let base = '';

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
  const graphError = (res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}) =>
    send(
      res,
      status,
      {
        error: { code, message, innerError: { date: new Date(options.now()).toISOString(), 'request-id': randomBytes(8).toString('hex') } },
      },
      headers,
    );
  const aadError = (res: ServerResponse, status: number, error: string, aadsts: string, text: string) =>
    send(res, status, { error, error_description: `${aadsts}: ${text}`, error_codes: [Number(aadsts.slice(6))] });

  /** Whether the tenant's quota has room; records the request either way (a throttled one counts to Microsoft too). */
  const admit = (tenant: string): number | null => {
    const l = log.get(tenant)!;
    const now = options.now();
    const recent = [...l.times, ...l.others].filter((t) => t > now - limit.windowMs).sort((a, b) => a - b);
    l.times.push(now);
    if (recent.length < limit.requests) return null;
    return Math.max(1, Math.ceil((recent[recent.length - limit.requests]! + limit.windowMs - now) / 1000));
  };

  function token(req: IncomingMessage, res: ServerResponse, tenantId: string, body: string) {
    const form = new URLSearchParams(body);
    const tenant = byId.get(tenantId);
    if (!tenant) return aadError(res, 400, 'invalid_request', 'AADSTS90002', `Tenant '${tenantId}' not found.`);
    if (form.get('grant_type') !== 'client_credentials' || form.get('client_id') !== options.clientId)
      return aadError(
        res,
        400,
        'unauthorized_client',
        'AADSTS700016',
        `Application with identifier '${form.get('client_id')}' was not found in the directory.`,
      );
    const assertion = form.get('client_assertion') ?? '';
    const [h, p, s] = assertion.split('.');
    let header: Record<string, unknown>;
    let payload: Record<string, unknown>;
    try {
      header = JSON.parse(Buffer.from(h!, 'base64url').toString());
      payload = JSON.parse(Buffer.from(p!, 'base64url').toString());
    } catch {
      return aadError(res, 401, 'invalid_client', 'AADSTS50027', 'JWT token is invalid or malformed.');
    }
    const key = appCert.publicKey;
    const data = Buffer.from(`${h}.${p}`);
    const signature = Buffer.from(s ?? '', 'base64url');
    const signed =
      header.alg === 'PS256'
        ? verify('sha256', data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, signature)
        : header.alg === 'RS256' && verify('sha256', data, key, signature);
    const thumbprintOk = header['x5t#S256'] === thumb256 || header.x5t === thumb1;
    if (!signed || !thumbprintOk)
      return aadError(
        res,
        401,
        'invalid_client',
        'AADSTS700027',
        'Client assertion contains an invalid signature. [Reason - The key was not found.]',
      );
    const now = options.now() / 1000;
    if (payload.aud !== `${base}/${tenantId}/oauth2/v2.0/token` || payload.iss !== options.clientId || payload.sub !== options.clientId)
      return aadError(
        res,
        401,
        'invalid_client',
        'AADSTS700021',
        'Client assertion application identifier does not match the client_id parameter or the audience is wrong.',
      );
    if (typeof payload.exp !== 'number' || payload.exp < now - 300)
      return aadError(res, 401, 'invalid_client', 'AADSTS700024', 'Client assertion is not within its valid time range.');
    if (tenant.consented === false)
      return aadError(
        res,
        400,
        'unauthorized_client',
        'AADSTS700016',
        `Application with identifier '${options.clientId}' was not found in the directory '${tenantId}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.`,
      );
    const access = randomBytes(24).toString('base64url');
    tokens.set(access, tenantId);
    send(res, 200, { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: access });
  }

  function graph(req: IncomingMessage, res: ServerResponse, url: URL) {
    const tenantId = tokens.get((req.headers.authorization ?? '').replace(/^Bearer /, ''));
    if (!tenantId) return graphError(res, 401, 'InvalidAuthenticationToken', 'Access token is empty or invalid.');
    const tenant = byId.get(tenantId)!;
    const l = log.get(tenantId)!;
    const wait = admit(tenantId);
    if (wait !== null) {
      l.throttled++;
      return graphError(
        res,
        429,
        'TooManyRequests',
        'Too many requests: the message trace quota of this tenant (100 requests per 5 minutes) is used up.',
        { 'retry-after': String(wait) },
      );
    }
    if (tenant.provisioned === false)
      return graphError(
        res,
        401,
        'UnknownError',
        `Service principal-less authentication failed for the application. The service principal of the first-party application ${FIRST_PARTY_APP} must exist in the tenant.`,
      );
    if (tenant.permission === false)
      return graphError(
        res,
        403,
        'Forbidden',
        "Missing role permissions on the request. API requires one of 'ExchangeMessageTrace.Read.All'.",
      );
    const now = options.now();
    const detailPath =
      /^\/v1\.0\/admin\/exchange\/tracing\/messageTraces\/([^/]+)\/getDetailsByRecipient\(recipientAddress='([^']*)'\)$/.exec(
        decodeURIComponent(url.pathname),
      );
    if (detailPath) {
      l.detail++;
      const [, id, recipient] = detailPath;
      const m = tenant.byTrace.get(id!);
      const shown = m ? snapshot(m, now) : null;
      const r = shown?.recipients.find((x) => x.address === recipient);
      if (!r) return graphError(res, 404, 'ResourceNotFound', `No message trace ${id} for ${recipient}.`);
      return send(res, 200, {
        '@odata.context': `${base}/v1.0/$metadata#Collection(microsoft.graph.exchangeMessageTraceDetail)`,
        // What Graph returns: the events alone, without the trace id and recipient the call named.
        value: detailRows(m!, r).map(({ messageTraceId: _id, recipientAddress: _to, ...event }) => event),
      });
    }
    if (url.pathname !== '/v1.0/admin/exchange/tracing/messageTraces')
      return graphError(res, 404, 'ResourceNotFound', `No route ${url.pathname}.`);
    l.list++;
    const filter = url.searchParams.get('$filter') ?? '';
    const ge = /receivedDateTime ge (\S+)/.exec(filter)?.[1];
    const le = /receivedDateTime le (\S+)/.exec(filter)?.[1];
    if (!ge || !le) return graphError(res, 400, 'BadRequest', 'The filter must give both a start and an end receivedDateTime.');
    const from = Date.parse(ge);
    const to = Date.parse(le);
    if (!(from <= to)) return graphError(res, 400, 'BadRequest', 'The start date must be before the end date.');
    if (to - from > 10 * DAY) return graphError(res, 400, 'BadRequest', 'The date range must not exceed 10 days.');
    if (from < now - 90 * DAY) return graphError(res, 400, 'BadRequest', 'The start date must be within the last 90 days.');
    const top = Number(url.searchParams.get('$top') ?? 1000);
    if (!Number.isInteger(top) || top < 1 || top > 5000) return graphError(res, 400, 'BadRequest', '$top must be between 1 and 5000.');
    const skip = Number(url.searchParams.get('$skiptoken') ?? 0);
    // Newest first: messages by received time descending, each one's recipients in order. Only the
    // page's rows are built (a tenant of a million messages a day has ~200,000 rows in 4 hours).
    const ms = tenant.messages;
    const prefix = tenant.prefix;
    const lo = lowerBound(ms, from);
    const hi = lowerBound(ms, Math.min(to, now) + 1); // exclusive; mail after now is not there yet
    const total = prefix[hi]! - prefix[lo]!;
    const pageRows: Array<Record<string, unknown>> = [];
    // The message holding the skip-th row from the newest end, and that row's place in it.
    let i = hi - 1;
    let within = 0;
    {
      const target = prefix[hi]! - skip; // rows before the page start, counted from the oldest
      let a = lo;
      let b = hi;
      while (a < b) {
        const mid = (a + b) >> 1;
        if (prefix[mid + 1]! >= target) b = mid;
        else a = mid + 1;
      }
      i = a;
      within = prefix[a + 1]! - target; // rows of message a already on earlier pages
    }
    for (; skip < total && i >= lo && pageRows.length < top; i--, within = 0) {
      const shown = snapshot(ms[i]!, now)!;
      const m = ms[i]!;
      for (let k = within; k < shown.recipients.length && pageRows.length < top; k++) {
        const r = shown.recipients[k]!;
        pageRows.push(traceRow(m, r));
      }
    }
    const next = new URL(url);
    next.searchParams.set('$skiptoken', String(skip + top));
    send(res, 200, {
      '@odata.context': `${base}/v1.0/$metadata#admin/exchange/tracing/messageTraces`,
      value: pageRows,
      ...(skip + top < total ? { '@odata.nextLink': `${base}${next.pathname}${next.search}` } : {}),
    });
  }

  const server = createServer({ key: certs.serverKey, cert: certs.serverCert }, (req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', base);
      if (process.env.STANDIN_DEBUG) process.stderr.write(`stand-in: ${req.method} ${url.pathname}${url.search}\n`);
      const tenantRoute = /^\/([^/]+)\/(v2\.0\/\.well-known\/openid-configuration|oauth2\/v2\.0\/token)$/.exec(url.pathname);
      if (tenantRoute?.[2] === 'oauth2/v2.0/token' && req.method === 'POST') return token(req, res, tenantRoute[1]!, body);
      if (tenantRoute) {
        const t = tenantRoute[1]!;
        return send(res, 200, {
          token_endpoint: `${base}/${t}/oauth2/v2.0/token`,
          authorization_endpoint: `${base}/${t}/oauth2/v2.0/authorize`,
          issuer: `${base}/${t}/v2.0`,
          end_session_endpoint: `${base}/${t}/oauth2/v2.0/logout`,
          jwks_uri: `${base}/${t}/discovery/v2.0/keys`,
          response_types_supported: ['code', 'id_token', 'token'],
        });
      }
      if (url.pathname.startsWith('/v1.0/') && req.method === 'GET') return graph(req, res, url);
      send(res, 404, { error: 'not_found', path: url.pathname });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    ca: certs.caCert,
    caFile: certs.caFile,
    log,
    useQuota(tenant, n) {
      const l = log.get(tenant)!;
      for (let i = 0; i < n; i++) l.others.push(options.now());
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** The first index whose message was received at or after `t` (messages sorted by received). */
function lowerBound(ms: readonly GenMessage[], t: number): number {
  let a = 0;
  let b = ms.length;
  while (a < b) {
    const mid = (a + b) >> 1;
    if (ms[mid]!.received < t) a = mid + 1;
    else b = mid;
  }
  return a;
}
