import type { Suppression } from '../store/suppressions.ts';

/** The suppression, if any, that silences this rule's alerts for this group. */
export function suppressing(suppressions: Suppression[], ruleId: string, group: Record<string, string | null>): Suppression | undefined {
  return suppressions.find((s) => (s.ruleId === '*' || s.ruleId === ruleId) && Object.entries(s.match).every(([k, v]) => group[k] === v));
}
