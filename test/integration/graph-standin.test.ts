import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGraphClient } from '../../functions/adapters/graph-client.ts';
import { listPath } from '../../functions/core/flows/collect-tenant.ts';
import { generateMessages, type GenMessage } from '../../functions/core/generate/scenario.ts';
import { startGraphStandin, testCertificates, type GraphStandin } from '../helpers/graph-standin.ts';

/**
 * The stand-in itself, against what Microsoft documents for the message trace API: a test of a
 * fake is only worth what the fake is, so its rules are checked on their own, request by request.
 */
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NOW = Date.UTC(2026, 10, 20, 12);
let now = NOW;
const certs = testCertificates();
let standin: GraphStandin;
const messages: GenMessage[] = [];

beforeAll(async () => {
  for (const m of generateMessages({ seed: 8, perHour: 30, start: NOW - 2 * DAY })) {
    if (m.received > NOW + DAY) break;
    messages.push(m);
  }
  standin = await startGraphStandin(
    { clientId: 'app', appCertificate: certs.appCert, now: () => now, tenants: [{ id: 't', messages }] },
    certs,
  );
});
afterAll(() => standin?.close());

const graph = () =>
  createGraphClient({
    entraTenant: 't',
    clientId: 'app',
    certificatePem: certs.appCert,
    privateKeyPem: certs.appKey,
    graphUrl: standin.url,
    authorityUrl: standin.url,
    ca: standin.ca,
  });
const BASE = '/v1.0/admin/exchange/tracing/messageTraces';
const status = async (path: string) => (await graph().get(path)).status;

describe('the Graph stand-in behaves as Microsoft documents', () => {
  it('requires both receivedDateTime bounds, at most 10 days apart, starting within the last 90 days; $top 1 to 5,000', async () => {
    const g = (q: string) => status(`${BASE}?$filter=${encodeURIComponent(q)}`);
    expect(await g(`receivedDateTime ge ${new Date(NOW - DAY).toISOString()}`)).toBe(400);
    expect(
      await g(`receivedDateTime ge ${new Date(NOW - 11 * DAY).toISOString()} and receivedDateTime le ${new Date(NOW).toISOString()}`),
    ).toBe(400);
    expect(
      await g(
        `receivedDateTime ge ${new Date(NOW - 91 * DAY).toISOString()} and receivedDateTime le ${new Date(NOW - 85 * DAY).toISOString()}`,
      ),
    ).toBe(400);
    expect(await status(listPath(NOW - 10 * DAY, NOW, 5000))).toBe(200);
    expect(await status(listPath(NOW - DAY, NOW, 5001))).toBe(400);
    expect(await status(listPath(NOW - DAY, NOW, 0))).toBe(400);
  });

  it('lists newest first, pages by @odata.nextLink without gaps or repeats, and hides mail received after its now', async () => {
    let url: string | undefined = listPath(NOW - 2 * DAY, NOW + DAY, 400);
    const rows: Array<{ id: string; recipientAddress: string; receivedDateTime: string }> = [];
    while (url) {
      const body = JSON.parse((await graph().get(url)).body) as { value: typeof rows; '@odata.nextLink'?: string };
      rows.push(...body.value);
      url = body['@odata.nextLink'];
    }
    const times = rows.map((r) => Date.parse(r.receivedDateTime));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(new Set(rows.map((r) => `${r.id}|${r.recipientAddress}`)).size).toBe(rows.length);
    expect(Math.max(...times)).toBeLessThanOrEqual(now);
    const truth = messages.filter((m) => m.received <= now).reduce((n, m) => n + new Set(m.recipients.map((r) => r.address)).size, 0);
    expect(rows.length).toBe(truth);
  });

  it('changes the newest rows as its clock moves on: a pending row settles', async () => {
    // 16:00, inside the generator's daily connector outage (13:00 to 19:00 here): mail is being deferred.
    const at = NOW + 4 * HOUR;
    const read = async () =>
      new Map(
        (
          JSON.parse((await graph().get(listPath(at - 2 * HOUR, at, 5000))).body) as {
            value: Array<{ id: string; recipientAddress: string; status: string }>;
          }
        ).value.map((r) => [`${r.id}|${r.recipientAddress}`, r.status]),
      );
    now = at;
    const before = await read();
    now = at + 2 * DAY;
    const after = await read();
    now = NOW;
    const changed = [...before].filter(([k, s]) => after.get(k) !== s);
    expect(changed.length).toBeGreaterThan(10);
    expect(changed.every(([, s]) => s === 'pending')).toBe(true);
  });

  it('answers 429 with Retry-After past 100 requests in 5 minutes, list and detail together, and admits again after the window', async () => {
    now = NOW + 10 * DAY; // a fresh window
    const g = graph();
    const statuses: number[] = [];
    for (let i = 0; i < 101; i++)
      statuses.push((await g.get(i % 2 ? listPath(now - HOUR, now, 1) : `${BASE}/x/getDetailsByRecipient(recipientAddress='y')`)).status);
    expect(statuses.slice(0, 100).every((s) => s !== 429)).toBe(true);
    const refused = await g.get(listPath(now - HOUR, now, 1));
    expect(statuses[100]).toBe(429);
    expect(refused.status).toBe(429);
    expect(refused.retryAfterMs).toBeGreaterThan(0);
    now += refused.retryAfterMs! + 5 * 60_000;
    expect((await g.get(listPath(now - HOUR, now, 1))).status).toBe(200);
    now = NOW;
  });
});
