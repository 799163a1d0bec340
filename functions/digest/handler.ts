import type { Context, ScheduledEvent } from 'aws-lambda';
import { functionRuntime, invocation } from '../adapters/lambda-runtime.ts';
import { digestTick } from './scheduled.ts';

/** Hourly (EventBridge): incidents re-evaluated (so they resolve without uploads), daily digests sent. */
export const handler = async (_event: ScheduledEvent, context: Context) => {
  const rt = functionRuntime('digest');
  const results = await invocation(rt, context, () => digestTick(rt));
  return { tenants: results.length, digests: results.filter((r) => r.digest).length };
};
