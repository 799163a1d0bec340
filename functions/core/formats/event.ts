import type { Outcome } from '../vocabulary/outcomes.ts';

export const FAMILIES = [
  'trace-summary',
  'trace-detail',
  'eac-enhanced-summary',
  'eac-extended',
  'onprem-tracking-log',
  'tracking-log-export',
  'graph-trace',
  'graph-detail',
] as const;
export type FamilyId = (typeof FAMILIES)[number];

export type Direction = 'inbound' | 'outbound' | 'internal';

/** A row mapped to strings, before its date is read and its status classified. */
export interface RawEvent {
  timeText: string;
  messageKey: string;
  recipient: string;
  direction: Direction | null;
  event: string;
  statusText: string;
  outcomeHint: Outcome;
  connector: string | null;
  server: string | null;
  ip: string | null;
  line: number;
}
