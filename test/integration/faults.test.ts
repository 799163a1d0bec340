import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, inject, it } from 'vitest';
import { createS3Client } from '../../functions/adapters/s3-client.ts';
import { createS3Store } from '../../functions/adapters/s3-store.ts';
import { parseRuntimeConfig } from '../../functions/core/config.ts';
import { handler } from '../../functions/ingest/handler.ts';
import { generated } from '../helpers/bytes.ts';
import { startFaultProxy, type FaultProxyOptions } from '../helpers/fault-proxy.ts';
import { snapshot } from '../helpers/ingest.ts';
import { freshBucket } from '../helpers/rgw.ts';
import { s3Record } from '../helpers/s3-events.ts';

// Faults injected at the HTTP layer between the SDK and a real S3 server (Ceph RGW), so the SDK's
// retries, backoff and error mapping all run as in production (reliability.md F14-F17).
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const credentials = { accessKeyId: 'test', secretAccessKey: 'testsecret' };
const rgw = () => new URL(inject('s3Endpoint'));

async function uploaded(rows = 400, seed = 91) {
  const { bucket, client, store } = await freshBucket('faults');
  const key = 'incoming/t/trace.csv';
  await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: generated({ family: 'trace-detail', rows, seed, perHour: 1500 }) }));
  const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  return { bucket, store, event: { Records: [s3Record(key, { bucket, size: head.ContentLength!, etag: head.ETag!.replace(/"/g, '') })] } };
}

/** The handler's runtime, pointed at the proxy. */
function runtimeVia(endpoint: string, env: Record<string, string> = {}) {
  const config = parseRuntimeConfig({ MAILFLOW_S3_UNQUOTED_IF_MATCH: 'true', ...env });
  return { config, logger: quiet, client: createS3Client({ endpoint, forcePathStyle: true, credentials, maxAttempts: config.s3MaxAttempts }) };
}

/** What Lambda does with an async event: up to 3 attempts (the first and 2 retries). */
async function asLambda(event: unknown, rt: ReturnType<typeof runtimeVia>): Promise<{ attempts: number; error: unknown }> {
  let error: unknown;
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      await handler(event, rt);
      return { attempts: attempt, error: null };
    } catch (err) {
      error = err;
    }
  }
  return { attempts: 3, error };
}

async function baselineOf(rows = 400, seed = 91) {
  const clean = await uploaded(rows, seed);
  await handler(clean.event, runtimeVia(inject('s3Endpoint')));
  return (await snapshot(clean.store)).summaries;
}

async function faultRun(proxy: Omit<FaultProxyOptions, 'target'>, env: Record<string, string> = {}) {
  const run = await uploaded();
  const p = await startFaultProxy({ target: { host: rgw().hostname, port: Number(rgw().port) }, ...proxy });
  try {
    const started = performance.now();
    const result = await asLambda(run.event, runtimeVia(p.endpoint, env));
    return { ...result, seconds: (performance.now() - started) / 1000, counts: p.counts, store: run.store, proxy: p };
  } finally {
    await p.close();
  }
}

describe('faults at the HTTP layer, on Ceph RGW', () => {
  it('F14: 503 SlowDown on 30 % of requests: the end state equals the clean run, within 3 attempts', async () => {
    const baseline = await baselineOf();
    const r = await faultRun({ failRate: 0.3, faults: ['slowdown'], seed: 14 });
    expect(r.error).toBeNull();
    expect(r.counts.injected).toBeGreaterThan(0);
    expect((await snapshot(r.store)).summaries).toEqual(baseline);
  }, 120_000);

  it('F15: 500, 502, 504 and connection resets on 10 %: the same end state', async () => {
    const baseline = await baselineOf();
    const r = await faultRun({ failRate: 0.1, faults: ['500', '502', '504', 'reset'], seed: 15 });
    expect(r.error).toBeNull();
    expect(r.counts.injected).toBeGreaterThan(0);
    expect((await snapshot(r.store)).summaries).toEqual(baseline);
  }, 120_000);

  it('F16: every request failing: a typed error well within 60 s, and nothing committed', async () => {
    const run = await uploaded();
    const p = await startFaultProxy({ target: { host: rgw().hostname, port: Number(rgw().port) }, failRate: 1, faults: ['slowdown'] });
    const started = performance.now();
    let error: unknown;
    try {
      await handler(run.event, runtimeVia(p.endpoint));
    } catch (err) {
      error = err;
    } finally {
      await p.close();
    }
    expect((performance.now() - started) / 1000).toBeLessThan(60);
    expect(error).toMatchObject({ name: 'SlowDown', $metadata: { httpStatusCode: 503, attempts: 6 } });
    expect(p.counts.requests).toBe(6); // exactly maxAttempts requests for the first call, then it gives up
    const written: string[] = [];
    for await (const o of run.store.list('results/')) written.push(o.key);
    expect(written).toEqual([]);
  }, 120_000);

  it('F17: a body that stalls halfway fails fast (idle timeout), commits nothing, and the retry gives the baseline', async () => {
    const baseline = await baselineOf();
    const run = await uploaded();
    const p = await startFaultProxy({ target: { host: rgw().hostname, port: Number(rgw().port) }, body: { match: /incoming/, share: 0.5, then: 'stall' } });
    const started = performance.now();
    await expect(handler(run.event, runtimeVia(p.endpoint, { MAILFLOW_READ_IDLE_TIMEOUT_MS: '1500' }))).rejects.toMatchObject({ code: 'READ_STALLED' });
    expect((performance.now() - started) / 1000).toBeLessThan(10);
    await p.close();
    expect(p.counts.stalled).toBe(1);
    const written: string[] = [];
    for await (const o of run.store.list('results/')) written.push(o.key);
    expect(written).toEqual([]);
    await handler(run.event, runtimeVia(inject('s3Endpoint')));
    expect((await snapshot(run.store)).summaries).toEqual(baseline);
  }, 120_000);

  it('F17: a body cut short of its Content-Length is an error, never a success with fewer rows', async () => {
    const run = await uploaded();
    const p = await startFaultProxy({ target: { host: rgw().hostname, port: Number(rgw().port) }, body: { match: /incoming/, share: 0.5, then: 'cut' } });
    await expect(handler(run.event, runtimeVia(p.endpoint))).rejects.toThrow();
    await p.close();
    expect(p.counts.cut).toBeGreaterThan(0);
    const store = createS3Store(createS3Client({ endpoint: inject('s3Endpoint'), forcePathStyle: true, credentials }), { bucket: run.event.Records[0]!.s3.bucket.name });
    const written: string[] = [];
    for await (const o of store.list('results/')) written.push(o.key);
    expect(written).toEqual([]);
  }, 120_000);
});
