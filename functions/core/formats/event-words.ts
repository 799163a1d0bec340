import type { Outcome } from '../vocabulary/outcomes.ts';

/**
 * What an export's event or status word means for delivery. Receive, Expand, internal Send,
 * NOTIFYMAPI, HAREDIRECTFAIL (a shadow-redundancy event) and the like are `other`:
 * they never count as failures.
 */
const WORDS: Record<string, Outcome> = {
  deliver: 'delivered',
  delivered: 'delivered',
  delivery: 'delivered',
  sendexternal: 'delivered',
  sentexternal: 'delivered',
  fail: 'failed',
  failed: 'failed',
  badmail: 'failed',
  poisonmessage: 'failed',
  defer: 'deferred',
  deferred: 'deferred',
  pending: 'deferred',
  expired: 'expired',
  expire: 'expired',
  filteredasspam: 'filtered',
  quarantined: 'filtered',
  quarantine: 'filtered',
  drop: 'filtered',
  malware: 'filtered',
};

export function normalizeWord(word: string): string {
  return word.toLowerCase().replace(/[\s_-]+/g, '');
}

/**
 * `sendAsDelivered`: in Get-MessageTraceDetail, `Send` is the hand-off to the outside world;
 * in extended reports and on-premises logs `SEND` is an internal hop and `SENDEXTERNAL` the hand-off.
 */
export function outcomeForEvent(word: string, sendAsDelivered: boolean): Outcome {
  // A file has a handful of distinct event words: remember them instead of normalizing each row.
  const cache = sendAsDelivered ? CACHE_SEND_DELIVERS : CACHE_SEND_INTERNAL;
  let o = cache.get(word);
  if (o === undefined) {
    const w = normalizeWord(word);
    o = w === 'send' ? (sendAsDelivered ? 'delivered' : 'other') : (WORDS[w] ?? 'other');
    if (cache.size < 1000) cache.set(word, o);
  }
  return o;
}

const CACHE_SEND_DELIVERS = new Map<string, Outcome>();
const CACHE_SEND_INTERNAL = new Map<string, Outcome>();

/**
 * A final outcome before a deferral: the list is the recipient's history, so `Receive, Defer, Send`
 * was delayed and then delivered, and is delivered (as the trace summary's Status says), not an open
 * deferral that no later event would ever end.
 */
const PRIORITY: Outcome[] = ['failed', 'expired', 'filtered', 'delivered', 'deferred'];

/** Enhanced-summary outcomes are comma lists of event names: `Receive, Deliver, FilteredAsSpam`. */
export function outcomeForEventList(list: string): Outcome {
  const seen = new Set(list.split(',').map((w) => outcomeForEvent(w, true)));
  return PRIORITY.find((o) => seen.has(o)) ?? 'other';
}
