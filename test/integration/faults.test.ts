import type { SQSEvent } from 'aws-lambda';
import { describe, expect, inject, it } from 'vitest';
import type { FunctionRuntime } from '../../functions/adapters/lambda-runtime.ts';
import { ingestBatch } from '../../functions/ingest/ingest-batch.ts';
import { generated } from '../helpers/bytes.ts';
import { inProcess } from '../helpers/deployed.ts';
import { startFaultProxy, type FaultProxyOptions } from '../helpers/fault-proxy.ts';
import { snapshot } from '../helpers/ingest.ts';
import { freshBuckets, upload, type TestBuckets } from '../helpers/rgw.ts';
import { recordOf, uploadBatch } from '../helpers/s3-events.ts';

// Faults injected at the HTTP layer between the SDK and a real S3 server (Ceph RGW), so the SDK's
// retries, backoff and error mapping all run as in production (F14–F17 in docs/guarantees.md). The
// ingest function's code runs under its role; the queue's redelivery is played by the test.
const rgw = () => new URL(inject('s3Endpoint'));
const target = () => ({ host: rgw().hostname, port: Number(rgw().port) });

async function uploaded(rows = 400, seed = 91): Promise<TestBuckets & { event: SQSEvent }> {
  const b = await freshBuckets('faults');
  const o = await upload(
    b.uploads.client,
    b.uploads.bucket,
    'incoming/t/trace.csv',
    generated({ family: 'trace-detail', rows, seed, perHour: 1500 }),
  );
  return { ...b, event: uploadBatch(recordOf(o)) };
}

/** Errors the function logged, with their fields (what CloudWatch would show). */
function capturing(): { logger: FunctionRuntime['logger']; errors: Array<Record<string, unknown>> } {
  const errors: Array<Record<string, unknown>> = [];
  return { errors, logger: { debug() {}, info() {}, warn() {}, error: (message, fields) => void errors.push({ message, ...fields }) } };
}

/** What SQS does with a message the function reports as failed: deliver it again, up to the queue's 5 receives. */
async function asQueue(event: SQSEvent, rt: FunctionRuntime): Promise<{ deliveries: number; failed: boolean }> {
  for (let delivery = 1; delivery <= 5; delivery++) {
    if ((await ingestBatch(event, rt)).batchItemFailures.length === 0) return { deliveries: delivery, failed: false };
  }
  return { deliveries: 5, failed: true };
}

async function baselineOf(rows = 400, seed = 91) {
  const clean = await uploaded(rows, seed);
  expect((await ingestBatch(clean.event, await inProcess('Ingest', clean.local))).batchItemFailures).toEqual([]);
  return (await snapshot(clean.data.store)).summaries;
}

async function faultRun(proxy: Omit<FaultProxyOptions, 'target'>) {
  const run = await uploaded();
  const p = await startFaultProxy({ target: target(), ...proxy });
  try {
    const result = await asQueue(run.event, await inProcess('Ingest', run.local, { endpoint: p.endpoint }));
    return { ...result, counts: p.counts, store: run.data.store };
  } finally {
    await p.close();
  }
}

async function written(run: TestBuckets, prefix = 'results/'): Promise<string[]> {
  const keys: string[] = [];
  for await (const o of run.data.store.list(prefix)) keys.push(o.key);
  return keys;
}

describe('faults at the HTTP layer, on Ceph RGW', () => {
  it("F14: 503 SlowDown on 30 % of requests: the end state equals the clean run, within the queue's deliveries", async () => {
    const baseline = await baselineOf();
    const r = await faultRun({ failRate: 0.3, faults: ['slowdown'], seed: 14 });
    expect(r.failed).toBe(false);
    expect(r.counts.injected).toBeGreaterThan(0);
    expect((await snapshot(r.store)).summaries).toEqual(baseline);
  }, 120_000);

  it('F15: 500, 502, 504 and connection resets on 10 %: the same end state', async () => {
    const baseline = await baselineOf();
    const r = await faultRun({ failRate: 0.1, faults: ['500', '502', '504', 'reset'], seed: 15 });
    expect(r.failed).toBe(false);
    expect(r.counts.injected).toBeGreaterThan(0);
    expect((await snapshot(r.store)).summaries).toEqual(baseline);
  }, 120_000);

  it('F16: every request failing: a typed error well within 60 s, the message handed back, nothing committed', async () => {
    const run = await uploaded();
    const p = await startFaultProxy({ target: target(), failRate: 1, faults: ['slowdown'] });
    const log = capturing();
    const started = performance.now();
    let r;
    try {
      r = await ingestBatch(run.event, await inProcess('Ingest', run.local, { endpoint: p.endpoint, logger: log.logger }));
    } finally {
      await p.close();
    }
    expect((performance.now() - started) / 1000).toBeLessThan(60);
    expect(r.batchItemFailures).toEqual([{ itemIdentifier: run.event.Records[0]!.messageId }]);
    expect(log.errors).toEqual([
      expect.objectContaining({ message: 'upload not ingested; the queue delivers it again', name: 'SlowDown' }),
    ]);
    // Exactly maxAttempts (6) requests for the first call, which gives up; then 6 for recording the failure, which gives up too.
    expect(p.counts.requests).toBe(12);
    expect(await written(run, '')).toEqual([]);
  }, 120_000);

  it('F17: a body that stalls halfway fails fast (idle timeout), commits nothing, and the next delivery gives the baseline', async () => {
    const baseline = await baselineOf();
    const run = await uploaded();
    const p = await startFaultProxy({ target: target(), body: { match: /incoming/, share: 0.5, then: 'stall' } });
    const log = capturing();
    const started = performance.now();
    const r = await ingestBatch(
      run.event,
      await inProcess('Ingest', run.local, {
        endpoint: p.endpoint,
        logger: log.logger,
        override: { MAILFLOW_READ_IDLE_TIMEOUT_MS: '1500' },
      }),
    );
    expect((performance.now() - started) / 1000).toBeLessThan(10);
    await p.close();
    expect(r.batchItemFailures).toHaveLength(1);
    expect(log.errors).toEqual([expect.objectContaining({ code: 'READ_STALLED' })]);
    expect(p.counts.stalled).toBe(1);
    expect(await written(run)).toEqual([]);
    expect((await ingestBatch(run.event, await inProcess('Ingest', run.local))).batchItemFailures).toEqual([]);
    expect((await snapshot(run.data.store)).summaries).toEqual(baseline);
  }, 120_000);

  it('F17: a body cut short of its Content-Length is an error, never a success with fewer rows', async () => {
    const run = await uploaded();
    const p = await startFaultProxy({ target: target(), body: { match: /incoming/, share: 0.5, then: 'cut' } });
    const r = await ingestBatch(run.event, await inProcess('Ingest', run.local, { endpoint: p.endpoint }));
    await p.close();
    expect(r.batchItemFailures).toHaveLength(1);
    expect(p.counts.cut).toBeGreaterThan(0);
    expect(await written(run)).toEqual([]);
  }, 120_000);

  // The unit property test (test/unit/retry-parts.property.test.ts) drives chunk sizes exactly; this
  // is the same retry on the deployed path: a real S3 server, the SDK's body stream, the handler.
  it('F18: a large file whose download stalls at 70 % after parts were merged, retried with the body in other chunks, gives the clean run’s numbers', async () => {
    const rows = 60_000;
    const partEvents = { MAILFLOW_PART_EVENTS: '5000' };
    const clean = await uploaded(rows, 92);
    const cleanRt = await inProcess('Ingest', clean.local, { override: partEvents });
    expect((await ingestBatch(clean.event, cleanRt)).batchItemFailures).toEqual([]);
    const baseline = await snapshot(clean.data.store, false);

    const run = await uploaded(rows, 92);
    const stalling = await startFaultProxy({
      target: target(),
      body: { match: /incoming/, share: 0.7, then: 'stall', writeSizes: [65_536, 1_021] },
    });
    const log = capturing();
    const first = await ingestBatch(
      run.event,
      await inProcess('Ingest', run.local, {
        endpoint: stalling.endpoint,
        logger: log.logger,
        override: { ...partEvents, MAILFLOW_READ_IDLE_TIMEOUT_MS: '1500' },
      }),
    );
    await stalling.close();
    expect(first.batchItemFailures).toHaveLength(1);
    expect(log.errors).toEqual([expect.objectContaining({ code: 'READ_STALLED' })]);
    // Parts were merged before the stall: the retry must skip exactly those.
    expect((await written(run, 'results/rollups/')).length).toBeGreaterThan(0);
    expect(await snapshot(run.data.store, false)).not.toEqual(baseline);

    const rechunking = await startFaultProxy({ target: target(), body: { match: /incoming/, writeSizes: [7_919, 333, 40_000] } });
    const retry = await ingestBatch(
      run.event,
      await inProcess('Ingest', run.local, { endpoint: rechunking.endpoint, override: partEvents }),
    );
    await rechunking.close();
    expect(retry.batchItemFailures).toEqual([]);
    expect(await snapshot(run.data.store, false)).toEqual(baseline);
  }, 300_000);
});
