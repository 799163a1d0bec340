import { UsageError } from '../errors.ts';
import type { Receipt, ReceiptStatus } from '../store/receipts.ts';

/** What a list of uploads shows of each receipt (the API's /v1/sources and `mailflow sources`). */
export interface SourceRow {
  sourceId: string;
  tenant: string;
  key: string;
  status: ReceiptStatus;
  reason: string | null;
  errorCode: string | null;
  family: Receipt['family'];
  rows: number;
  counted: number;
  ingestedAt: string;
}

/** The columns of a CSV of source rows, in the order a spreadsheet reads best. */
export const SOURCE_FIELDS = ['ingestedAt', 'tenant', 'key', 'status', 'errorCode', 'reason', 'family', 'rows', 'counted', 'sourceId'];

export function sourceRow(r: Receipt): SourceRow {
  return {
    sourceId: r.sourceId,
    tenant: r.tenant,
    key: r.key,
    status: r.status,
    reason: r.reason,
    errorCode: r.errorCode,
    family: r.family,
    rows: r.rows,
    counted: r.counted,
    ingestedAt: r.ingestedAt,
  };
}

/** Statuses a list of uploads can be narrowed to (`duplicate` is never stored, so it lists none). */
const STATUSES: readonly ReceiptStatus[] = ['ingested', 'duplicate', 'empty', 'rejected', 'partial', 'forgotten'];

export function parseReceiptStatus(status: string | undefined): ReceiptStatus | undefined {
  if (status === undefined || status === '') return undefined;
  if (!(STATUSES as readonly string[]).includes(status))
    throw new UsageError('BAD_STATUS', `status must be ${STATUSES.slice(0, -1).join(', ')} or ${STATUSES.at(-1)}, not "${status}"`);
  return status as ReceiptStatus;
}
