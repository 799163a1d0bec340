import type { Context, ScheduledEvent } from 'aws-lambda';
import { functionRuntime, invocation } from '../adapters/lambda-runtime.ts';
import { reconcileUploads } from './reconcile.ts';

/** Scheduled (EventBridge): ingests uploads that never got a receipt. */
export const handler = async (_event: ScheduledEvent, context: Context) => {
  const rt = functionRuntime('reconcile');
  const r = await invocation(rt, context, () => reconcileUploads(rt, context));
  return { ingested: r.receipts.length, failed: r.failed, deferred: r.deferred, queued: r.queued };
};
