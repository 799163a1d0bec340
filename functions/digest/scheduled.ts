import type { FunctionRuntime } from '../adapters/lambda-runtime.ts';
import { ENV } from '../adapters/runtime-config.ts';
import { UsageError } from '../core/errors.ts';
import { scheduledTick, type TickResult } from '../core/flows/scheduled-tick.ts';

/** The digest function's work, from its runtime: the tick with the stack's rules, topic and budgets. */
export async function digestTick(rt: FunctionRuntime): Promise<TickResult[]> {
  if (!rt.alerts) throw new UsageError('BAD_CONFIG', `${ENV.TOPIC_ARN} is not set: the digest function publishes to the alert topic`);
  const ports = {
    store: rt.store,
    clock: rt.clock,
    logger: rt.logger,
    notifier: rt.alerts.notifier,
    ...(rt.reports ? { reports: rt.reports } : {}),
    ...(rt.links ? { links: rt.links } : {}),
    ...(rt.alerts.drill ? { drill: rt.alerts.drill } : {}),
  };
  const results = await scheduledTick(ports, rt.alerts.rules, {
    reportLinkHours: rt.config.reportLinkHours,
    casBudgetMs: rt.config.casBudgetMs,
  });
  rt.logger.info('tick finished', { tenants: results.length, digests: results.filter((r) => r.digest).length });
  return results;
}
