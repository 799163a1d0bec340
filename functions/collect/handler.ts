import type { Context } from 'aws-lambda';
import { functionRuntime, invocation } from '../adapters/lambda-runtime.ts';
import { collectTick, type CollectEvent } from './scheduled.ts';

/** Every 15 minutes (EventBridge Scheduler): each configured tenant's message trace from Microsoft Graph. */
export const handler = async (event: CollectEvent, context: Context) => {
  const rt = functionRuntime('collect');
  const outcomes = await invocation(rt, context, () => collectTick(rt, event, context.getRemainingTimeInMillis()));
  return {
    tenants: outcomes.length,
    outcomes: outcomes.map((o) =>
      o.outcome === 'collected'
        ? {
            tenant: o.tenant,
            outcome: o.outcome,
            stopped: o.result.stopped,
            requests: o.result.requests,
            rows: o.result.rows,
            owed: o.result.owed,
          }
        : o,
    ),
  };
};
