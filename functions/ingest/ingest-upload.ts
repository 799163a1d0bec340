import { countMetric, tenantMetrics, type FunctionRuntime } from '../adapters/lambda-runtime.ts';
import { recordFailure } from '../core/store/failures.ts';
import { ingestS3Object } from '../adapters/ingest-s3-object.ts';
import type { S3ObjectRef } from '../adapters/s3-event.ts';
import type { Receipt } from '../core/store/receipts.ts';

/**
 * The one way a deployed function ingests an upload (the ingest function for each SQS message,
 * the reconcile function for what was never delivered): ingestObject() through the S3 read path,
 * with the alert rules, the metrics and, when it throws, the failure recorded for
 * `mailflow failures` and reconcile's limit.
 */
export async function ingestUpload(rt: FunctionRuntime, object: S3ObjectRef, by: 'delivery' | 'redrive' = 'delivery'): Promise<Receipt> {
  let receipt: Receipt;
  try {
    receipt = await ingestS3Object(rt.s3, object, { store: rt.store, clock: rt.clock, logger: rt.logger }, rt.config, rt.alerts);
  } catch (err) {
    countMetric(rt, 'IngestErrors');
    try {
      await recordFailure(rt.store, rt.clock, object, err, by);
    } catch (recordErr) {
      rt.logger.warn('could not record the failure', { key: object.key, error: (recordErr as Error).message });
    }
    throw err;
  }
  const casAttempts = Object.entries(receipt.casAttempts).reduce((n, [attempts, writes]) => n + Number(attempts) * writes, 0);
  tenantMetrics(
    rt,
    receipt.tenant,
    {
      RowsRead: receipt.rows,
      EventsCounted: receipt.counted,
      RowsRejected: receipt.rejectedRows.count,
      CasAttempts: casAttempts,
      [`Uploads${receipt.status[0]!.toUpperCase()}${receipt.status.slice(1)}`]: 1,
    },
    receipt.status === 'duplicate' ? {} : { IngestDuration: receipt.durationMs },
  );
  rt.logger.info('upload processed', {
    key: object.key,
    tenant: receipt.tenant,
    status: receipt.status,
    sourceId: receipt.sourceId,
    rows: receipt.rows,
    counted: receipt.counted,
    errorCode: receipt.errorCode,
  });
  return receipt;
}
