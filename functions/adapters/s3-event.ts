import { PREFIX } from '../core/store/layout.ts';
/**
 * S3 event notifications, parsed in one place. Keys arrive form-encoded (`red+flower.csv` is
 * "red flower.csv"): `+` becomes a space first, then percent-decoding (as S3 event notifications encode keys).
 * Test events, removals, folder placeholders and keys outside `incoming/` are not ingested.
 */
export interface S3ObjectRef {
  bucket: string;
  key: string;
  size: number;
  etag: string;
  versionId: string | null;
  sequencer: string | null;
}

export interface ParsedS3Event {
  objects: S3ObjectRef[];
  /** Records not ingested, with the reason (logged as warnings by the handler). */
  skipped: Array<{ key: string | null; reason: string }>;
}

interface RawRecord {
  eventVersion?: string;
  eventName?: string;
  s3?: { bucket?: { name?: string }; object?: { key?: string; size?: number; eTag?: string; versionId?: string; sequencer?: string } };
}

export function decodeS3Key(raw: string): string {
  return decodeURIComponent(raw.replace(/\+/g, ' '));
}

export function parseS3Event(event: unknown): ParsedS3Event {
  const out: ParsedS3Event = { objects: [], skipped: [] };
  const records = (event as { Records?: unknown })?.Records;
  if (!Array.isArray(records)) {
    // `s3:TestEvent`, sent once when a notification is configured, has no Records.
    out.skipped.push({
      key: null,
      reason: (event as { Event?: string })?.Event === 's3:TestEvent' ? 'S3 test event' : 'not an S3 event (no Records)',
    });
    return out;
  }
  for (const r of records as RawRecord[]) {
    const rawKey = r.s3?.object?.key;
    const key = rawKey === undefined ? null : safeDecode(rawKey);
    if (!r.eventVersion?.startsWith('2.')) {
      out.skipped.push({ key, reason: `unsupported event version ${r.eventVersion ?? '(none)'}; expected 2.x` });
    } else if (!r.eventName?.startsWith('ObjectCreated:')) {
      out.skipped.push({ key, reason: `${r.eventName ?? 'unknown event'} is not an upload` });
    } else if (key === null || !r.s3?.bucket?.name) {
      out.skipped.push({ key, reason: 'the record names no bucket or key' });
    } else if (key.endsWith('/')) {
      out.skipped.push({ key, reason: 'a folder placeholder, not a file' });
    } else if (!key.startsWith(PREFIX.incoming)) {
      out.skipped.push({ key, reason: `outside ${PREFIX.incoming}: only uploads there are ingested` });
    } else {
      out.objects.push({
        bucket: r.s3.bucket.name,
        key,
        size: r.s3.object?.size ?? 0,
        etag: normalizeEtag(r.s3.object?.eTag ?? ''),
        versionId: r.s3.object?.versionId ?? null,
        sequencer: r.s3.object?.sequencer ?? null,
      });
    }
  }
  return out;
}

/** Events carry the ETag without quotes, GetObject and listings with them: one form for ids. */
export function normalizeEtag(etag: string): string {
  const bare = etag.replace(/^"|"$/g, '');
  return `"${bare}"`;
}

function safeDecode(raw: string): string {
  try {
    return decodeS3Key(raw);
  } catch {
    return raw; // a malformed escape: keep the key as given rather than lose the record
  }
}
