/**
 * "Got worse" and "got better", named. They differ on purpose: each answers a different question
 * for a different reader, so each is its own constant, and this file is where to compare them.
 */

/** An open incident escalates (and notifies again) when its value reaches this multiple of the value it was last reported at: a page-worthy change, rarely. */
export const ESCALATE_FACTOR = 2;

/** The digest lists a code as "worse" when its events grew by this factor and by at least DIGEST_MIN_CHANGE since the previous period of the same length. */
export const DIGEST_WORSE_FACTOR = 1.5;
/** …and as "better" when they fell to this fraction (and by at least DIGEST_MIN_CHANGE). */
export const DIGEST_BETTER_FACTOR = 0.5;
/** Changes smaller than this many events are noise in a digest, whatever the ratio. */
export const DIGEST_MIN_CHANGE = 10;

/** The query API's trend arrow: up at this ratio to the previous period or more, down at its inverse-ish counterpart or less. A glance, not an alert. */
export const TREND_UP_RATIO = 1.2;
/** A failure rate over fewer final outcomes than this is not shown: one failed message of one is not "100 %". */
export const MIN_RATE_VOLUME = 20;
export const TREND_DOWN_RATIO = 0.8;
