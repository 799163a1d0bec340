/** The record AWS sends for an upload, with the key form-encoded as S3 does. */
export function s3Record(key: string, options: { bucket?: string; size?: number; eventName?: string; eventVersion?: string; etag?: string } = {}) {
  return {
    eventVersion: options.eventVersion ?? '2.1',
    eventSource: 'aws:s3',
    eventName: options.eventName ?? 'ObjectCreated:Put',
    s3: {
      bucket: { name: options.bucket ?? 'data-bucket' },
      object: { key: encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/'), size: options.size ?? 100, eTag: options.etag ?? '0123abcd', sequencer: '0055AED6DCD90281E5' },
    },
  };
}

