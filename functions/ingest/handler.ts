import type { Context, SQSEvent } from 'aws-lambda';
import { functionRuntime, invocation } from '../adapters/lambda-runtime.ts';
import { ingestBatch } from './ingest-batch.ts';

/** The ingest function: a batch of the upload queue (S3 notifications) → ingestBatch(). */
export const handler = async (event: SQSEvent, context: Context) => {
  const rt = functionRuntime('ingest');
  const { batchItemFailures } = await invocation(rt, context, () => ingestBatch(event, rt, context));
  return { batchItemFailures };
};
