import type { ExportSummary } from '../read/read-export.ts';
import type { ObjectStore } from '../ports.ts';
import { receiptPrefix } from './layout.ts';
import { readMany, record } from './records.ts';

export type ReceiptStatus = 'ingested' | 'duplicate' | 'empty' | 'rejected';

/** `results/sources/<tenant>/<sourceId>.json`: what happened to one upload. */
export interface Receipt {
  schema: 1;
  sourceId: string;
  tenant: string;
  key: string;
  file: string | null;
  etag: string;
  status: ReceiptStatus;
  /** Why, for `rejected` (and `duplicate`): a sentence a person can act on. */
  reason: string | null;
  errorCode: string | null;
  family: ExportSummary['family'];
  encoding: ExportSummary['encoding'] | null;
  compression: ExportSummary['compression'] | null;
  delimiter: string | null;
  bytes: ExportSummary['bytes'] | null;
  rows: number;
  events: ExportSummary['events'] | null;
  codes: Record<string, number>;
  unknownCodes: string[];
  timeSpan: ExportSummary['timeSpan'];
  rejectedRows: ExportSummary['rejectedRows'];
  warnings: string[];
  truncationWarning: string | null;
  /** Events this upload added to the rollups, and events other uploads had counted already. */
  counted: number;
  alreadyCounted: number;
  /** Hourly rollups this upload touched, and how many compare-and-swap attempts each needed. */
  hours: number;
  casAttempts: Record<string, number>;
  ingestedAt: string;
  durationMs: number;
}

export const RECEIPT = record<Receipt>('receipt', {
  schema: 'number',
  sourceId: 'string',
  tenant: 'string',
  key: 'string',
  status: 'string',
  ingestedAt: 'string',
  counted: 'number',
});

/** The newest receipts of the tenants by write time; only those are read. */
export async function recentReceipts(store: ObjectStore, tenants: readonly string[], limit: number): Promise<Receipt[]> {
  const listed: Array<{ key: string; at: number }> = [];
  for (const tenant of tenants)
    for await (const o of store.list(receiptPrefix(tenant))) listed.push({ key: o.key, at: o.lastModified.getTime() });
  listed.sort((a, b) => b.at - a.at || (a.key < b.key ? -1 : 1));
  const out = await readMany(
    store,
    listed.slice(0, limit).map((l) => l.key),
    RECEIPT,
  );
  return out.sort((a, b) => (a.ingestedAt < b.ingestedAt ? 1 : a.ingestedAt > b.ingestedAt ? -1 : 0));
}
