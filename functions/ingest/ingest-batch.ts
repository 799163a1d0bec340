import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { FunctionRuntime } from '../adapters/lambda-runtime.ts';
import { ingestUpload } from './ingest-upload.ts';
import { parseS3Event } from '../adapters/s3-event.ts';
import type { Receipt } from '../core/store/receipts.ts';

/** Left for the last message of a batch before the function's timeout: a 2 GiB export takes minutes. */
export const START_MARGIN_MS = 60_000;

export interface BatchResult extends SQSBatchResponse {
  receipts: Receipt[];
}

/**
 * The ingest function's work for one batch of the upload queue. Each message holds an S3 event
 * notification (or S3's test event). A message whose upload fails (S3 errors, throttling, a lost
 * race past its budget) is reported in `batchItemFailures`, so SQS delivers only that one again
 * and, after the queue's receive limit, moves it to the dead-letter queue; the others are done.
 * Bad input is not a failure: it has a `rejected` receipt. Messages the function has no time left
 * to start are handed back the same way rather than cut off by the timeout.
 */
export async function ingestBatch(
  event: SQSEvent,
  rt: FunctionRuntime,
  context?: Pick<Context, 'getRemainingTimeInMillis'>,
): Promise<BatchResult> {
  const failed: string[] = [];
  const receipts: Receipt[] = [];
  for (const [i, message] of (event.Records ?? []).entries()) {
    if (context && i > 0 && context.getRemainingTimeInMillis() < START_MARGIN_MS) {
      rt.logger.warn('no time left to start this upload; handing it back to the queue', { messageId: message.messageId });
      failed.push(message.messageId);
      continue;
    }
    try {
      const parsed = parseS3Event(parseBody(message.body));
      for (const s of parsed.skipped) rt.logger.warn('record skipped', { messageId: message.messageId, ...s });
      for (const object of parsed.objects) receipts.push(await ingestUpload(rt, object));
    } catch (err) {
      rt.logger.error('upload not ingested; the queue delivers it again', {
        messageId: message.messageId,
        receiveCount: Number(message.attributes?.ApproximateReceiveCount ?? 0),
        error: (err as Error).message,
        name: (err as Error).name,
        code: (err as { code?: string }).code,
      });
      failed.push(message.messageId);
    }
  }
  return { batchItemFailures: failed.map((itemIdentifier) => ({ itemIdentifier })), receipts };
}

/** A body that is not JSON stays a failure: it ends in the dead-letter queue, where a person sees it. */
function parseBody(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    throw new SyntaxError(`the message body is not JSON (an S3 event notification was expected): ${body.slice(0, 200)}`);
  }
}
