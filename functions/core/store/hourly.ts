import { mergeBatch, toSummary, type HourBatch, type HourlyRollup, type HourlySummary } from '../aggregate/rollup.ts';
import { sqlLinesVersion, toSqlLines } from '../aggregate/sql-layout.ts';
import type { ObjectStore } from '../ports.ts';
import { casUpdate, casUpdateBytes, type CasHint, type CasOptions } from './cas.ts';
import { rollupKey, sqlLinesKey, summaryKey } from './layout.ts';
import { readMany, record } from './records.ts';
import { readAliasTables } from './aliases.ts';
import { withHostNames } from '../aggregate/destination-aliases.ts';

/**
 * An hour's three objects: the rollup (the authoritative count, with the source and fingerprint
 * sets that make merging idempotent), its summary (what queries read) and the summary's
 * JSON-lines companion for SQL engines.
 */
export const ROLLUP = record<HourlyRollup>('hourly rollup', {
  schema: 'number',
  tenant: 'string',
  hour: 'string',
  version: 'number',
  sources: 'array',
  groups: 'array',
  fingerprints: 'string',
});
export const SUMMARY = record<HourlySummary>('hourly summary', {
  schema: 'number',
  tenant: 'string',
  hour: 'string',
  rollupVersion: 'number',
  groups: 'array',
});

export interface CommittedHour {
  /** Events of the batch the rollup did not hold yet (what this commit counted). */
  added: number;
  attempts: number;
}

/**
 * Merges one file part's events of an hour into the rollup (compare-and-swap), then brings the
 * summary and its SQL companion up to the rollup's version. `marker` names the part in the
 * rollup's source set, so committing it again changes nothing.
 */
export async function commitHour(
  store: ObjectStore,
  tenant: string,
  batch: HourBatch,
  marker: string,
  cas: CasOptions,
  hint: CasHint = {},
): Promise<CommittedHour> {
  let added = 0;
  const r = await casUpdate(
    store,
    rollupKey(tenant, batch.hour),
    ROLLUP,
    (current) => {
      const m = mergeBatch(current, batch, tenant, marker);
      added = m.added;
      return m.changed ? m.rollup : null;
    },
    cas,
    hint,
  );
  // A new rollup has, but for a crash between the writes, no summary or SQL companion yet either.
  if (r.value) await syncSummary(store, r.value, cas, { absent: r.created });
  return { added: r.wrote ? added : 0, attempts: r.attempts };
}

/**
 * Brings an hour's summary, and its JSON-lines companion for SQL, up to its rollup's version.
 * Both only move forward: a writer holding an older rollup version never overwrites newer
 * ones. Every ingestion of the hour (a retry too) calls this, so a crash between the two
 * writes is mended by the next attempt.
 */
export async function syncSummary(store: ObjectStore, rollup: HourlyRollup, cas: CasOptions, hint: CasHint = {}): Promise<void> {
  const hour = Date.parse(rollup.hour);
  const summary = toSummary(rollup);
  await casUpdate(
    store,
    summaryKey(rollup.tenant, hour),
    SUMMARY,
    (current) => (current && current.rollupVersion >= rollup.version ? null : summary),
    cas,
    hint,
  );
  await casUpdateBytes(
    store,
    sqlLinesKey(rollup.tenant, rollup.hour),
    (current) => {
      // An empty companion is an hour with nothing to count (version unknown): replaced once there is.
      const text = current ? Buffer.from(current.body).toString('utf8') : null;
      if (text !== null && (text === '' ? rollup.groups.length === 0 : sqlLinesVersion(text) >= rollup.version)) return null;
      return Buffer.from(toSqlLines(summary));
    },
    cas,
    hint,
  );
}

/** The summaries at `keys`, 16 at a time, ordered by hour and tenant. */
export async function readSummaries(store: ObjectStore, keys: Iterable<string> | AsyncIterable<string>): Promise<HourlySummary[]> {
  const out = await readMany(store, keys, SUMMARY);
  out.sort((a, b) => (a.hour < b.hour ? -1 : a.hour > b.hour ? 1 : a.tenant < b.tenant ? -1 : 1));
  // One destination per receiving server: a summary's address shows as the host a detail named.
  return withHostNames(
    out,
    await readAliasTables(
      store,
      out.map((s) => s.tenant),
    ),
  );
}
