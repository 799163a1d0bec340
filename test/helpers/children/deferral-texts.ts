/**
 * What long-lived records hold once the status texts they were parsed from are gone (run with
 * --expose-gc), in two scenarios:
 * - `deferrals`: 100,000 open deferrals, each with its destination parsed out of a status text of
 *   its own (2,000 characters). A destination kept as a slice of its text would hold all 200 MB.
 * - `keeper`: 10,000 distinct texts kept, each a slice of a 10,000-character text: the copies are
 *   ~1 MB; slices anywhere in the keeper (as values or as its table's keys) would hold 100 MB.
 */
import { DeferralTracker } from '../../../functions/core/aggregate/deferrals.ts';
import { AliasLearner } from '../../../functions/core/aggregate/destination-aliases.ts';
import { TextKeeper } from '../../../functions/core/vocabulary/text.ts';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
const scenario = process.argv[2] ?? 'deferrals';
const baselineRssKiB = process.resourceUsage().maxRSS;
gc();
const before = process.memoryUsage().heapUsed;
const held: unknown[] = [];
let result: Record<string, unknown> = {};
if (scenario === 'deferrals') {
  const tracker = new DeferralTracker();
  const aliases = new AliasLearner();
  for (let i = 0; i < 100_000; i++) {
    const host = `mx${i % 500}.partner-${i % 500}.example`;
    const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    const status = `450 4.4.316 Connection refused [Message=${i} ${'x'.repeat(1_900)}] [LastAttemptedServerName=${host}] [LastAttemptedServerIP=${ip}] [Connector=${host} outbound]`;
    const at = (name: string) =>
      status.slice(status.indexOf(`${name}=`) + name.length + 1, status.indexOf(']', status.indexOf(`${name}=`)));
    tracker.add(i + 1, i, 'deferred', Date.UTC(2026, 10, 20) + i, '4.4.316', at('LastAttemptedServerName'), at('Connector'));
    if (i < 5_000) aliases.learn(at('LastAttemptedServerIP'), at('LastAttemptedServerName'));
  }
  held.push(tracker, aliases);
  result = { tracked: tracker.deferred.size, aliases: aliases.seen.size };
} else {
  const keeper = new TextKeeper();
  const kept: string[] = [];
  for (let i = 0; i < 10_000; i++) {
    const status = `[LastAttemptedServerName=mx${i}.partner.example] ${String(i).repeat(10_000).slice(0, 10_000)}`;
    kept.push(keeper.keep(status.slice(25, status.indexOf(']'))));
  }
  held.push(keeper, kept);
  result = { kept: new Set(kept).size, first: kept[0] };
}
gc();
result.retainedMiB = (process.memoryUsage().heapUsed - before) / 2 ** 20;
process.stdout.write(`${JSON.stringify({ result, peakRssKiB: process.resourceUsage().maxRSS, baselineRssKiB, held: held.length })}\n`);
