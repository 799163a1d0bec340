/**
 * 100,000 open deferrals, each with its destination parsed out of a status text of its own
 * (2,000 characters): how much of the heap they hold once the texts are gone (run with
 * --expose-gc). A destination kept as a slice of its text would hold all 200 MB of them.
 */
import { DeferralTracker } from '../../../functions/core/aggregate/deferrals.ts';
import { AliasLearner } from '../../../functions/core/aggregate/destination-aliases.ts';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
const baselineRssKiB = process.resourceUsage().maxRSS;
gc();
const before = process.memoryUsage().heapUsed;
const tracker = new DeferralTracker();
const aliases = new AliasLearner();
for (let i = 0; i < 100_000; i++) {
  const host = `mx${i % 500}.partner-${i % 500}.example`;
  const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
  const status = `450 4.4.316 Connection refused [Message=${i} ${'x'.repeat(1_900)}] [LastAttemptedServerName=${host}] [LastAttemptedServerIP=${ip}] [Connector=${host} outbound]`;
  const at = (name: string) => status.slice(status.indexOf(`${name}=`) + name.length + 1, status.indexOf(']', status.indexOf(`${name}=`)));
  tracker.add(i + 1, i, 'deferred', Date.UTC(2026, 10, 20) + i, '4.4.316', at('LastAttemptedServerName'), at('Connector'));
  if (i < 5_000) aliases.learn(at('LastAttemptedServerIP'), at('LastAttemptedServerName'));
}
gc();
const retainedMiB = (process.memoryUsage().heapUsed - before) / 2 ** 20;
const result = { tracked: tracker.deferred.size, aliases: aliases.seen.size, retainedMiB };
process.stdout.write(`${JSON.stringify({ result, peakRssKiB: process.resourceUsage().maxRSS, baselineRssKiB })}\n`);
