import { createHash, createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signedGet } from '../../functions/adapters/signed-get.ts';
import { queryStore } from '../../functions/core/query/query.ts';
import { handleApiRequest } from '../../functions/query/api.ts';
import { generated } from '../helpers/bytes.ts';
import { ingestBytes } from '../helpers/ingest.ts';
import { runCli } from '../helpers/io.ts';
import { createMemoryStore } from '../helpers/memory-store.ts';

/**
 * `mailflow query --url`: the CLI signs with SigV4 and the query API answers. A real Function URL
 * cannot run here, so a loopback server stands in for it: it checks the signature with the
 * algorithm written out below from the AWS SigV4 specification (independent of the signing
 * library the CLI uses), answers 403 like Lambda when it does not match, and otherwise hands the
 * request to the real API handler over a real store.
 */

const KEY = { id: 'AKIDEXAMPLE', secret: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', token: 'session/token+with=odd chars' };
const REGION = 'eu-south-1';
const START = Date.UTC(2026, 10, 20);

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const hmac = (key: string | Buffer, s: string) => createHmac('sha256', key).update(s).digest();
const enc = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** SigV4 verification as AWS does it: canonical request from the raw request, then the HMAC chain. */
function verifySigV4(
  req: { method: string; url: string; headers: IncomingMessage['headers'] },
  secret: string,
  now = Date.now(),
): string | null {
  const m =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(
      String(req.headers.authorization ?? ''),
    );
  if (!m) return 'no SigV4 Authorization header';
  const [, accessKey, date, region, service, signedHeaders, signature] = m as unknown as string[];
  if (accessKey !== KEY.id) return 'unknown access key';
  if (service !== 'lambda' || region !== REGION) return `signed for ${service} in ${region}`;
  const amzDate = String(req.headers['x-amz-date'] ?? '');
  const signedAt = Date.parse(amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'));
  if (!amzDate.startsWith(date!) || !(Math.abs(now - signedAt) < 15 * 60_000)) return 'bad or stale x-amz-date';
  const names = signedHeaders!.split(';');
  if (!names.includes('host') || !names.includes('x-amz-date')) return 'host and x-amz-date must be signed';
  if (req.headers['x-amz-security-token'] !== undefined && !names.includes('x-amz-security-token')) return 'session token not signed';
  const [path, rawQuery = ''] = req.url.split('?', 2) as [string, string?];
  const query = rawQuery
    .split('&')
    .filter(Boolean)
    .map((p) => p.split('=', 2).map((x) => enc(decodeURIComponent(x ?? ''))) as [string, string])
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const headers = names
    .map(
      (n) =>
        `${n}:${String(req.headers[n] ?? '')
          .trim()
          .replace(/\s+/g, ' ')}\n`,
    )
    .join('');
  const canonical = [req.method, path, query, headers, signedHeaders, String(req.headers['x-amz-content-sha256'] ?? sha256(''))].join('\n');
  const toSign = ['AWS4-HMAC-SHA256', amzDate, `${date}/${region}/${service}/aws4_request`, sha256(canonical)].join('\n');
  const key = ['aws4_request'].reduce((k, part) => hmac(k, part), hmac(hmac(hmac(`AWS4${secret}`, date!), region!), service!));
  return hmac(key, toSign).toString('hex') === signature ? null : 'signature does not match';
}

const store = createMemoryStore();
let server: Server;
let base: string;
const seen: Array<{ url: string; verdict: string | null }> = [];
const savedEnv = { ...process.env };

beforeAll(async () => {
  for (const tenant of ['alpha', 'beta']) {
    await ingestBytes(
      store,
      'trace.csv',
      generated({ family: 'trace-detail', rows: 3000, seed: tenant.length, perHour: 150, start: START }),
      { tenant },
    );
  }
  server = createServer((req, res) => {
    const verdict = verifySigV4({ method: req.method!, url: req.url!, headers: req.headers }, KEY.secret);
    seen.push({ url: req.url!, verdict });
    if (verdict) {
      res.writeHead(403, { 'content-type': 'application/json' }).end(JSON.stringify({ Message: 'Forbidden' }));
      return;
    }
    const url = new URL(req.url!, 'http://localhost');
    handleApiRequest({ method: req.method!, path: url.pathname, query: Object.fromEntries(url.searchParams) }, store).then(
      (r) => res.writeHead(r.statusCode, r.headers).end(r.body),
      (err: Error) => res.writeHead(500).end(err.message),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: KEY.id, AWS_SECRET_ACCESS_KEY: KEY.secret, AWS_SESSION_TOKEN: KEY.token });
});

afterAll(async () => {
  process.env = savedEnv;
  await new Promise((resolve) => server.close(resolve));
});

const range = ['--from', '2026-11-20T00:00:00Z', '--to', '2026-11-21T00:00:00Z'];

describe('mailflow query --url (SigV4 against the query API)', () => {
  it('signs every request so an independent SigV4 check accepts it, and prints the same rows as a local query plus the change', async () => {
    const before = seen.length;
    const out = await runCli([
      'query',
      '--url',
      base,
      '--region',
      REGION,
      ...range,
      '--by',
      'code',
      '--where',
      'outcome=deferred,failed',
      '--format',
      'json',
    ]);
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    expect(seen.slice(before).map((s) => s.verdict)).toEqual([null]);
    const rows = JSON.parse(out.stdout) as Array<{ code: string; events: number; messages: number; previousEvents: number; trend: string }>;
    const local = await queryStore(store, {
      by: ['code'],
      where: { outcome: ['deferred', 'failed'] },
      from: Date.parse(range[1]!),
      to: Date.parse(range[3]!),
    });
    expect(local.length).toBeGreaterThan(1);
    expect(rows.map(({ code, events, messages }) => ({ code, events, messages }))).toEqual(local);
    // The previous 24 hours are before the data starts: everything is new.
    expect(rows.every((r) => r.previousEvents === 0 && r.trend === 'new')).toBe(true);
  });

  it("table and csv come through too; csv is the API's injection-safe csv", async () => {
    const table = await runCli(['query', '--url', base.slice(0, -1), '--region', REGION, ...range, '--tenant', 'alpha', '--by', 'outcome']);
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^outcome\s+events\s+messages\s+change\s+trend$/);
    const csv = await runCli(['query', '--url', base, '--region', REGION, ...range, '--by', 'outcome', '--format', 'csv']);
    expect(csv.code).toBe(0);
    expect(csv.stdout.split('\r\n')[0] ?? csv.stdout.split('\n')[0]).toMatch(/^outcome,events,messages,previousEvents,delta,trend/);
  });

  it('mailflow sources --url pages through /v1/sources, signed, with the cursor the API gives', async () => {
    const before = seen.length;
    const first = await runCli(['sources', '--url', base, '--region', REGION, '--limit', '1', '--format', 'json']);
    expect(first.code).toBe(0);
    const next = /^more: the same command with --next (\S+)\n$/.exec(first.stderr)?.[1];
    const second = await runCli(['sources', '--url', base, '--region', REGION, '--limit', '1', '--format', 'json', '--next', next!]);
    expect([second.code, second.stderr]).toEqual([0, '']);
    expect(seen.slice(before).map((s) => s.verdict)).toEqual([null, null]);
    const api = await handleApiRequest({ method: 'GET', path: '/v1/sources', query: {} }, store);
    expect([...JSON.parse(first.stdout), ...JSON.parse(second.stdout)]).toEqual(JSON.parse(api.body));
    const table = await runCli(['sources', '--url', base, '--region', REGION, '--tenant', 'beta']);
    expect(table.stdout).toMatch(
      /^ingested at +tenant +status +rows +counted +upload +why\n.*\n\S.* beta +ingested +3,000 .*incoming\/beta\/trace\.csv\n$/,
    );
  });

  it('a wrong secret is refused with 403 and the CLI says which permission is needed (exit 1)', async () => {
    process.env.AWS_SECRET_ACCESS_KEY = 'not-the-secret';
    try {
      const out = await runCli(['query', '--url', base, '--region', REGION, ...range]);
      expect(out.code).toBe(1);
      expect(out.stderr).toMatch(
        /API_FORBIDDEN: .*answered 403: Forbidden .*both lambda:InvokeFunctionUrl and lambda:InvokeFunction on the query function: attach the stack output QueryCallerPolicyArn/,
      );
      expect(seen.at(-1)!.verdict).toBe('signature does not match');
    } finally {
      process.env.AWS_SECRET_ACCESS_KEY = KEY.secret;
    }
  });

  it('a 400 from the API is shown with its message (exit 1)', async () => {
    const out = await runCli(['query', '--url', base, '--region', REGION, ...range, '--tenant', 'not_a_tenant']);
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/API_BAD_REQUEST: .*400: tenant "not_a_tenant" must be 1-63 characters/);
  });

  it('the verifier is not a rubber stamp: a signed request with one query value changed is refused', async () => {
    let captured: { url: string; headers: IncomingMessage['headers'] } | undefined;
    const spy = createServer((req, res) => {
      captured = { url: req.url!, headers: req.headers };
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
    await new Promise<void>((resolve) => spy.listen(0, '127.0.0.1', resolve));
    try {
      const url = new URL(
        `http://127.0.0.1:${(spy.address() as AddressInfo).port}/v1/summary?by=code&where=outcome%3Ddeferred%3Bcode%3D4.4.316&from=2026-11-20`,
      );
      await signedGet(url, { region: REGION, credentials: { accessKeyId: KEY.id, secretAccessKey: KEY.secret } });
      const request = { method: 'GET', url: captured!.url, headers: captured!.headers };
      expect(verifySigV4(request, KEY.secret)).toBeNull();
      expect(verifySigV4({ ...request, url: request.url.replace('by=code', 'by=domain') }, KEY.secret)).toBe('signature does not match');
      expect(verifySigV4({ ...request, headers: { ...request.headers, host: 'evil.example' } }, KEY.secret)).toBe(
        'signature does not match',
      );
      expect(verifySigV4(request, 'another secret')).toBe('signature does not match');
    } finally {
      await new Promise((resolve) => spy.close(resolve));
    }
  });

  it('bad --url values and conflicting sources are usage errors (exit 2)', async () => {
    expect((await runCli(['query', '--url', 'not a url'])).stderr).toMatch(/--url "not a url" is not a URL/);
    const both = await runCli(['query', '--url', base, '--bucket', 'b']);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/use one of --data-dir, --bucket or --url/);
  });
});
