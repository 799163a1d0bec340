import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FileAggregator } from '../../functions/core/aggregate/rollup.ts';
import { silentLogger, type ObjectStore } from '../../functions/core/ports.ts';
import { ingestObject } from '../../functions/core/flows/ingest-object.ts';
import { readExport } from '../../functions/core/read/read-export.ts';
import { commitDay } from '../../functions/core/store/hourly.ts';
import { utf8 } from '../helpers/bytes.ts';
import { fastClock, snapshot } from '../helpers/ingest.ts';
import { createMemoryStore } from '../helpers/memory-store.ts';

/**
 * A download that stalls part way (the invocation fails after some parts were merged), then the
 * retry reads the same body in other chunks: the result must equal one clean run, whatever the
 * chunk sizes and wherever the stall (issue 15, 1). Parts are cut at exact event counts; the
 * negative control cuts them where chunks end, as mailflow once did, and the property fails.
 */
const HEADER = '"Received","SenderAddress","RecipientAddress","Status","MessageTraceId"\r\n';
const ROWS = 1_200;
const PART = 100;
const BYTES = (() => {
  let text = HEADER;
  for (let i = 0; i < ROWS; i++) {
    const t = new Date(Date.UTC(2026, 10, 20, i % 6, Math.floor(i / 6) % 60)).toISOString();
    text += `"${t}","a@contoso.com","r${i}@fabrikam.com","${i % 7 === 0 ? 'Failed' : 'Delivered'}","m${i}"\r\n`;
  }
  return utf8(text);
})();
const REF = { origin: 'local:test', key: 'incoming/default/big.csv', tenant: 'default', etag: '"e1"' };

class Stall extends Error {}

/** The body in chunks of the given sizes (cycled), failing with Stall after `stallAt` bytes when given. */
async function* body(sizes: number[], stallAt = Infinity): AsyncGenerator<Uint8Array> {
  const end = Math.min(stallAt, BYTES.length);
  for (let i = 0, at = 0; at < end; i++) {
    const next = Math.min(at + sizes[i % sizes.length]!, end);
    yield BYTES.subarray(at, next);
    at = next;
  }
  if (stallAt < BYTES.length) throw new Stall('the download stalled');
}

const ingest = (store: ObjectStore, source: AsyncIterable<Uint8Array>) =>
  ingestObject(REF, source, { store, clock: fastClock, logger: silentLogger }, { flushEvents: PART });

/** The old way, for the negative control: parts cut at the first chunk end after PART events. */
async function ingestCutByChunk(store: ObjectStore, source: AsyncIterable<Uint8Array>): Promise<void> {
  let aggregator = new FileAggregator();
  let part = 0;
  const commit = async () => {
    const marker = part === 0 ? 'src' : `src#${part}`;
    const batches = [...aggregator.hours.values()];
    aggregator = new FileAggregator();
    part++;
    for (const b of batches) await commitDay(store, 'default', [b], marker, { clock: fastClock, budgetMs: 10_000 });
  };
  await readExport(source, { afterChunk: () => (aggregator.counted >= PART ? commit() : undefined) }, (e) => aggregator.add(e));
  await commit();
}

const chunkSizes = fc.array(fc.integer({ min: 200, max: 9_000 }), { minLength: 1, maxLength: 6 });
const scenario = fc.record({ first: chunkSizes, retry: chunkSizes, stall: fc.double({ min: 0.05, max: 0.95, noNaN: true }) });

async function clean(run: (store: ObjectStore, source: AsyncIterable<Uint8Array>) => Promise<unknown>) {
  const store = createMemoryStore();
  await run(store, body([16_384]));
  return snapshot(store, false);
}

async function stallThenRetry(
  run: (store: ObjectStore, source: AsyncIterable<Uint8Array>) => Promise<unknown>,
  s: { first: number[]; retry: number[]; stall: number },
) {
  const store = createMemoryStore();
  await expect(run(store, body(s.first, Math.floor(s.stall * BYTES.length)))).rejects.toBeInstanceOf(Stall);
  await run(store, body(s.retry));
  return snapshot(store, false);
}

describe('a retry that reads other chunks counts what one clean run counts (R4, issue 15 item 1)', () => {
  it('for any chunk sizes of the attempt and the retry, and any stall point (200 runs)', async () => {
    const baseline = await clean(ingest);
    const retried = await clean(ingest);
    expect(retried).toEqual(baseline);
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        expect(await stallThenRetry(ingest, s)).toEqual(baseline);
      }),
      { numRuns: 200 },
    );
  });

  it('negative control: parts cut where chunks end lose events on such a retry (the property above can fail)', async () => {
    const baseline = await clean(ingestCutByChunk);
    const result = await fc.check(
      fc.asyncProperty(scenario, async (s) => {
        expect(await stallThenRetry(ingestCutByChunk, s)).toEqual(baseline);
      }),
      { numRuns: 200 },
    );
    expect(result.failed).toBe(true);
  });
});
