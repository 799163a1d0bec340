/**
 * What happened to one delivery to one recipient. Every module that counts, rates or filters
 * events uses these lists, so "counted", "final" and "problem" mean the same everywhere.
 */
export const OUTCOMES = ['delivered', 'deferred', 'failed', 'expired', 'filtered', 'other'] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** Outcomes the rollups count. `other` (Receive, Expand, internal hops) says nothing about delivery. */
export const COUNTED_OUTCOMES = ['delivered', 'deferred', 'failed', 'expired', 'filtered'] as const;
export type CountedOutcome = (typeof COUNTED_OUTCOMES)[number];

/** Outcomes that end a delivery attempt: the denominator of every rate, and what ends a deferral. */
export const FINAL_OUTCOMES = ['delivered', 'failed', 'expired', 'filtered'] as const;
export type FinalOutcome = (typeof FINAL_OUTCOMES)[number];

/** Outcomes an admin has to look at: the digest's and dashboard's "problems". */
export const PROBLEM_OUTCOMES = ['deferred', 'failed', 'expired'] as const;

/** Outcomes that mean the message did not arrive and will not: the "failed" of rates and headlines. */
export const UNDELIVERED_OUTCOMES = ['failed', 'expired'] as const;

const FINAL = new Set<string>(FINAL_OUTCOMES);
const PROBLEM = new Set<string>(PROBLEM_OUTCOMES);
const UNDELIVERED = new Set<string>(UNDELIVERED_OUTCOMES);

export const isFinal = (outcome: string): boolean => FINAL.has(outcome);
export const isProblem = (outcome: string): boolean => PROBLEM.has(outcome);
export const isUndelivered = (outcome: string): boolean => UNDELIVERED.has(outcome);
