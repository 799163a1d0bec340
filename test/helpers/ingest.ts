import { summaryGroupsOf } from '../../functions/core/store/summary-lines.ts';
import { createHash } from 'node:crypto';
import { ingestObject, type IngestConfig } from '../../functions/core/flows/ingest-object.ts';
import { silentLogger, type Clock, type ObjectStore } from '../../functions/core/ports.ts';
import { chunked, generated, utf8 } from './bytes.ts';
import type { RenderOptions } from '../../functions/core/generate/render.ts';
import type { Receipt } from '../../functions/core/store/receipts.ts';

/** A clock whose sleeps only yield, so contention tests do not wait in real time. */
export const fastClock: Clock = { now: () => new Date(), sleep: () => new Promise((r) => setImmediate(r)) };

/** Ingests bytes as a local upload named `name` (the ETag is the content hash, as in the CLI). */
export function ingestBytes(
  store: ObjectStore,
  name: string,
  bytes: Uint8Array,
  options: { tenant?: string; config?: IngestConfig; clock?: Clock } = {},
): Promise<Receipt> {
  const tenant = options.tenant ?? 'default';
  const etag = `"${createHash('sha256').update(bytes).digest('hex')}"`;
  return ingestObject(
    { origin: 'local:test', key: `incoming/${tenant}/${name}`, tenant, etag, file: name },
    chunked(bytes, [16 * 1024]),
    { store, clock: options.clock ?? fastClock, logger: silentLogger },
    options.config,
  );
}

/** A generated trace-detail export per tenant (`<tenant>.csv`): the same shape, each tenant's seed. */
export async function ingestTenants(
  store: ObjectStore,
  seeds: Readonly<Record<string, number>>,
  shape: Omit<RenderOptions, 'family' | 'seed'>,
): Promise<void> {
  for (const [tenant, seed] of Object.entries(seeds))
    await ingestBytes(store, `${tenant}.csv`, generated({ family: 'trace-detail', ...shape, seed }), { tenant });
}

interface Snapshot {
  rollups: Record<string, unknown>;
  summaries: Record<string, unknown>;
  /** The summary objects' day lines (the day's hours merged), by object key. */
  days: Record<string, unknown>;
  sql: Record<string, string[]>;
}

/**
 * What the results say, for deep-equal comparisons. Without provenance, the rollups' source lists
 * and versions are left out (an ingestion of the union of two files has other sources than the two).
 */
export async function snapshot(store: ObjectStore, provenance = true): Promise<Snapshot> {
  const out: Snapshot = { rollups: {}, summaries: {}, days: {}, sql: {} };
  for (const [prefix, target] of [
    ['results/rollups/', out.rollups],
    ['results/summaries/', out.summaries],
  ] as const) {
    // Day objects, one hour a line: each hour is its own entry.
    for await (const o of store.list(prefix)) {
      for (const line of Buffer.from((await store.get(o.key))!.body)
        .toString('utf8')
        .split('\n')
        .filter(Boolean)) {
        // Summary lines as the readers see them (their groups are stored as a table).
        const body = prefix === 'results/summaries/' ? summaryGroupsOf(JSON.parse(line), o.key) : JSON.parse(line);
        if (!provenance) {
          delete body.sources;
          delete body.version;
          delete body.rollupVersion;
        }
        if (body.hour === undefined) out.days[o.key] = body;
        else target[`${o.key} ${body.hour}`] = body;
      }
    }
  }
  // The SQL companions must converge with the summaries they mirror.
  for await (const o of store.list('results/sql/')) {
    const lines = Buffer.from((await store.get(o.key))!.body)
      .toString('utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    if (!provenance) for (const l of lines) delete l.rollup_version;
    out.sql[o.key] = lines.map((l) => JSON.stringify(l)).sort();
  }
  return out;
}

/** Splits a generated export into its preamble+header and its data lines (no multi-line fields). */
export function splitExport(text: string): { head: string; rows: string[] } {
  const lines = text.split('\r\n').filter((l) => l !== '');
  const headerAt = lines.findIndex((l) => !l.startsWith('#'));
  return { head: lines.slice(0, headerAt + 1).join('\r\n') + '\r\n', rows: lines.slice(headerAt + 1) };
}

export function joinExport(head: string, rows: string[]): Uint8Array {
  return Buffer.from(head + rows.map((r) => `${r}\r\n`).join(''));
}

/** A trace-detail export of n 4.4.316 deferrals to mail.contoso.com at 03:xx on 2026-11-20. */
export function deferralExport(n: number): Uint8Array {
  let text = '"Date","Event","Detail","MessageTraceId","RecipientAddress"\r\n';
  for (let i = 0; i < n; i++)
    text += `"2026-11-20T03:${String(i % 60).padStart(2, '0')}:00Z","Defer","Reason: [{LED=450 4.4.316 Connection refused [LastAttemptedServerName=mail.contoso.com]}]","m${i}","u${i}@contoso.com"\r\n`;
  return utf8(text);
}

/**
 * The writes one clean ingestion of an upload made, in order: the part's events, its pairs per day;
 * each day its rollups, summaries and SQL companion; the addresses its status texts gave for hosts
 * (when there were any); then the receipt. Crash tests crash after each of them in turn.
 */
export async function writesOfUpload(store: ObjectStore, receipt: Receipt): Promise<number> {
  const count = async (prefix: string) => {
    let n = 0;
    for await (const _ of store.list(prefix)) n++;
    return n;
  };
  const aliases = (await store.get(`state/aliases/${receipt.tenant}.json`)) ? 1 : 0;
  // The event part, the pair indexes, each day's three objects, their months' copies of the day lines, the aliases,
  // the receipt's index entry and the receipt.
  return 1 + (await count('state/pairs/')) + (await count('results/rollups/')) * 3 + (await count('results/summary-months/')) + aliases + 2;
}
