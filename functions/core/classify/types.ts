export const OUTCOMES = ['delivered', 'deferred', 'failed', 'expired', 'filtered', 'other'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export const CATEGORIES = [
  'dns', 'network-timeout', 'connection-refused', 'remote-server', 'connection-dropped', 'tls-certificate',
  'recipient', 'mailbox-quota', 'message-size', 'relay', 'authentication', 'spam-reputation', 'policy',
  'loop', 'throttling', 'unknown',
] as const;
export type Category = (typeof CATEGORIES)[number];

export const OWNERS = ['our-servers', 'partner', 'recipient-side', 'sender-side', 'microsoft', 'unknown'] as const;
export type Owner = (typeof OWNERS)[number];

export type Lang = 'en' | 'it';

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
