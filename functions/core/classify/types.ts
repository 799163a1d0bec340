import type { Direction } from '../formats/event.ts';
import type { Outcome } from '../vocabulary/outcomes.ts';

export const CATEGORIES = [
  'dns',
  'network-timeout',
  'connection-refused',
  'remote-server',
  'connection-dropped',
  'tls-certificate',
  'recipient',
  'mailbox-quota',
  'message-size',
  'relay',
  'authentication',
  'spam-reputation',
  'policy',
  'loop',
  'throttling',
  'unknown',
] as const;
export type Category = (typeof CATEGORIES)[number];

export const OWNERS = ['our-servers', 'partner', 'recipient-side', 'sender-side', 'microsoft', 'unknown'] as const;
export type Owner = (typeof OWNERS)[number];

export interface Destination {
  server: string | null;
  ip: string | null;
}

/** What one status says: the fields of `mailflow explain --json` minus the texts. */
export interface Classification {
  outcome: Outcome;
  /** Enhanced status code, `4.4.316`. */
  code: string | null;
  /** SMTP reply code, `450`. */
  replyCode: string | null;
  /** Null for delivered and other outcomes, one of CATEGORIES otherwise. */
  category: Category | null;
  transient: boolean | null;
  owner: Owner | null;
  /** The remote server's own reply, from `[Message=…]`. */
  innerReply: string | null;
  destination: Destination;
}

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
  direction: Direction | null;
  /** The export's own event or status word (`Defer`, `FAIL`, `Pending` …). */
  event: string;
  /** The raw status text the classification came from. */
  statusText: string;
  connector: string | null;
  /** Destination server name and IP, when the export or the status says. */
  server: string | null;
  ip: string | null;
  /**
   * Whether `ip` is the address the status text gives for `server` (`LastAttemptedServerName` and
   * `LastAttemptedIP` of one attempt): only then do the two name one server (aggregate/destination-aliases.ts).
   */
  namedTogether: boolean;
  /** Line in the file where the row starts. */
  line: number;
}
