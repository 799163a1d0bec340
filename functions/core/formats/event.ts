import type { Classification, Outcome } from '../classify/types.ts';

export const FAMILIES = ['trace-summary', 'trace-detail', 'eac-enhanced-summary', 'eac-extended', 'onprem-tracking-log', 'tracking-log-export'] as const;
export type FamilyId = (typeof FAMILIES)[number];

export type Direction = 'inbound' | 'outbound' | 'internal';

/**
 * One row's outcome for one recipient, as every export family is mapped to it.
 * `other` events (Receive, Expand, internal hops) are only counted: they carry their time, event
 * word and line, and empty strings elsewhere. Delivered events carry no status text.
 */
export interface DeliveryEvent extends Omit<Classification, 'destination'> {
  /** Epoch milliseconds, UTC. */
  time: number;
  /** The best message id the export has (network message id, trace id, Message-ID). */
  messageKey: string;
  recipient: string;
  recipientDomain: string;
  senderDomain: string;
  direction: Direction | null;
  /** The export's own event or status word (`Defer`, `FAIL`, `Pending` …). */
  event: string;
  /** The raw status text the classification came from. */
  statusText: string;
  connector: string | null;
  /** Destination server name and IP, when the export or the status says. */
  server: string | null;
  ip: string | null;
  /** Line in the file where the row starts. */
  line: number;
}

/** A row mapped to strings, before its date is read and its status classified. */
export interface RawEvent {
  timeText: string;
  messageKey: string;
  recipient: string;
  sender: string;
  direction: Direction | null;
  event: string;
  statusText: string;
  outcomeHint: Outcome;
  connector: string | null;
  server: string | null;
  ip: string | null;
  line: number;
}

/** A row we could not use; the reason is shown to people, with the line. */
export class RowError extends Error {}
