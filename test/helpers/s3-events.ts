import { randomUUID } from 'node:crypto';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import type { S3ObjectRef } from '../../functions/adapters/s3-event.ts';

/** S3's form encoding of keys in notifications: a space is "+", everything else percent-encoded. */
export function formEncodeKey(key: string): string {
  return encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/');
}

/** The record AWS sends for an upload, with the key form-encoded as S3 does. */
export function s3Record(
  key: string,
  options: { bucket?: string; size?: number; eventName?: string; eventVersion?: string; etag?: string; versionId?: string | null } = {},
) {
  return {
    eventVersion: options.eventVersion ?? '2.1',
    eventSource: 'aws:s3',
    awsRegion: 'us-east-1',
    eventName: options.eventName ?? 'ObjectCreated:Put',
    s3: {
      bucket: { name: options.bucket ?? 'data-bucket', arn: `arn:aws:s3:::${options.bucket ?? 'data-bucket'}` },
      object: {
        key: formEncodeKey(key),
        size: options.size ?? 100,
        eTag: options.etag ?? '0123abcd',
        ...(options.versionId ? { versionId: options.versionId } : {}),
        sequencer: '0055AED6DCD90281E5',
      },
    },
  };
}

/** The notification S3 sends for an uploaded object (see test/helpers/rgw.ts `upload`). */
export function recordOf(o: S3ObjectRef) {
  return s3Record(o.key, { bucket: o.bucket, size: o.size, etag: o.etag.replace(/"/g, ''), versionId: o.versionId });
}

/** An SQS message as the event source mapping hands it to Lambda; its body is what S3 sent the queue. */
export function sqsRecord(body: unknown, receiveCount = 1): SQSRecord {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const now = String(Date.now());
  return {
    messageId: randomUUID(),
    receiptHandle: `AQEB${randomUUID()}`,
    body: text,
    attributes: {
      ApproximateReceiveCount: String(receiveCount),
      SentTimestamp: now,
      SenderId: 'AIDAIENQZJOLO23YVJ4VO',
      ApproximateFirstReceiveTimestamp: now,
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:Mailflow-UploadQueue',
    awsRegion: 'us-east-1',
  };
}

/** One SQS message per S3 record, as S3 → SQS → Lambda delivers uploads to the ingest function. */
export function uploadBatch(...records: Array<ReturnType<typeof s3Record>>): SQSEvent {
  return { Records: records.map((r) => sqsRecord({ Records: [r] })) };
}
