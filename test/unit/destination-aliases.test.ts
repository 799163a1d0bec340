import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/io.ts';
import { AliasLearner, MAX_ALIAS_IPS, mergeAliases } from '../../functions/core/aggregate/destination-aliases.ts';
import { queryStore } from '../../functions/core/query/query.ts';
import type { ObjectStore } from '../../functions/core/ports.ts';
import { generated } from '../helpers/bytes.ts';
import { ingestBytes, joinExport, splitExport } from '../helpers/ingest.ts';
import { createMemoryStore } from '../helpers/memory-store.ts';

/**
 * Issue 12 (1): one receiving server is one destination. The usual workflow is a trace summary
 * of everything (destination = `ToIP`) and the trace detail of the messages that had problems
 * (destination = the host in `LastAttemptedServerName`, with `LastAttemptedIP`). The detail's
 * events teach the tenant that the address is the host; readers then show the host, with the
 * address as its attribute.
 */
const SEED = 9;
const summary = generated({ family: 'trace-summary', rows: 2000, seed: SEED });
const detail = generated({ family: 'trace-detail', rows: 6000, seed: SEED });
// The detail of the messages that had problems only: what an admin exports after the summary.
const problems = (() => {
  const { head, rows } = splitExport(Buffer.from(detail).toString('utf8'));
  return joinExport(
    head,
    rows.filter((r) => /"(Defer|Fail)"/.test(r)),
  );
})();

async function ingestAll(files: Array<[string, Uint8Array]>): Promise<ObjectStore> {
  const store = createMemoryStore();
  for (const [name, bytes] of files) await ingestBytes(store, name, bytes);
  return store;
}
const byDestination = (store: ObjectStore) => queryStore(store, { by: ['destination'] });
const isAddress = (d: string | null | undefined) => d !== null && d !== undefined && /^\d+\.\d+\.\d+\.\d+$/.test(d);

describe('a trace summary and the detail of its problems name one destination per server', () => {
  it('shows the summary-only reading by address, as the export says', async () => {
    const rows = await byDestination(await ingestAll([['summary.csv', summary]]));
    expect(rows.find((r) => r.destination === '198.51.100.25')?.events).toBeGreaterThan(0);
    expect(rows.every((r) => r.addresses === undefined)).toBe(true);
  });

  it('shows the host, with its address, once the detail has named it; in either order', async () => {
    const a = await ingestAll([
      ['summary.csv', summary],
      ['problems.csv', problems],
    ]);
    const b = await ingestAll([
      ['problems.csv', problems],
      ['summary.csv', summary],
    ]);
    const rows = await byDestination(a);
    expect(rows).toEqual(await byDestination(b));
    // No destination is left under an address the detail named as a host.
    expect(rows.filter((r) => isAddress(r.destination))).toEqual([]);
    const contoso = rows.find((r) => r.destination === 'mail.contoso.com')!;
    expect(contoso.addresses).toEqual(['198.51.100.25']);
    // The summary's deliveries to 198.51.100.25 and the detail's deferrals at mail.contoso.com are one row.
    const delivered = (store: ObjectStore, destination: string) =>
      queryStore(store, { by: ['outcome'], where: { destination: [destination], outcome: ['delivered'] } });
    const bySummary = await delivered(await ingestAll([['summary.csv', summary]]), '198.51.100.25');
    expect(bySummary[0]!.events).toBeGreaterThan(100);
    // (less the few the detail's own finals replaced: one truth per message)
    const merged = await delivered(a, 'mail.contoso.com');
    expect(merged[0]!.events).toBeGreaterThan(bySummary[0]!.events * 0.95);
    expect(merged[0]!.events).toBeLessThanOrEqual(bySummary[0]!.events);
    expect(contoso.events).toBeGreaterThan(bySummary[0]!.events);
  });

  it('finds the host by its address: --where destination=<ToIP> is the host', async () => {
    const store = await ingestAll([
      ['summary.csv', summary],
      ['problems.csv', problems],
    ]);
    const byIp = await queryStore(store, { by: ['outcome', 'destination'], where: { destination: ['198.51.100.25'] } });
    const byHost = await queryStore(store, { by: ['outcome', 'destination'], where: { destination: ['mail.contoso.com'] } });
    expect(byIp).toEqual(byHost);
    expect(byIp.map((r) => r.outcome).sort()).toEqual(expect.arrayContaining(['deferred', 'delivered']));
  });
});

describe('the alias table', () => {
  it('only grows, is the same whatever the order, and writes nothing when nothing is new', () => {
    const one = new AliasLearner();
    one.learn('198.51.100.25', 'mail.contoso.com');
    const two = new AliasLearner();
    two.learn('198.51.100.25', 'mx2.contoso.com');
    two.learn('203.0.113.10', 'mx1.fabrikam.com');
    const ab = mergeAliases(mergeAliases(null, one), two);
    const ba = mergeAliases(mergeAliases(null, two), one);
    expect(ab).toEqual(ba);
    expect(ab!.ips['198.51.100.25']).toEqual(['mail.contoso.com', 'mx2.contoso.com']);
    expect(mergeAliases(ab, one)).toBeNull();
  });

  it(`holds at most ${MAX_ALIAS_IPS.toLocaleString('en-US')} addresses and counts what it left out`, () => {
    const learner = new AliasLearner();
    for (let i = 0; i < MAX_ALIAS_IPS + 5; i++) learner.learn(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, `h${i}.example`);
    const table = mergeAliases(null, learner)!;
    expect(Object.keys(table.ips)).toHaveLength(MAX_ALIAS_IPS);
    expect(table.dropped).toBe(5);
  });
});

describe('mailflow query --by destination', () => {
  it('prints each host once, with its addresses', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mailflow-aliases-'));
    writeFileSync(join(dir, 'summary.csv'), summary);
    writeFileSync(join(dir, 'problems.csv'), problems);
    const data = join(dir, 'data');
    for (const f of ['summary.csv', 'problems.csv']) expect((await runCli(['ingest', '--data-dir', data, join(dir, f)])).code).toBe(0);
    const out = await runCli(['query', '--data-dir', data, '--by', 'destination', '--where', 'destination=198.51.100.25']);
    expect(out.code).toBe(0);
    const lines = out.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^destination\s+events\s+messages\s+addresses$/);
    expect(lines.slice(2)).toEqual([expect.stringMatching(/^mail\.contoso\.com\s+[\d,]+\s+[\d,]+\s+198\.51\.100\.25$/)]);
  });
});

describe('tracking logs', () => {
  it.each(['onprem-tracking-log', 'tracking-log-export'] as const)(
    '%s: a SEND entry names the receiving server; our own EX01 is never a destination',
    async (family) => {
      const rows = await byDestination(await ingestAll([[`${family}.log`, generated({ family, rows: 1500, seed: SEED })]]));
      expect(rows.map((r) => r.destination)).not.toContain('EX01');
      expect(rows.map((r) => r.destination)).toEqual(expect.arrayContaining(['mail.contoso.com', 'mx1.fabrikam.com']));
    },
  );
});
