import type { ObjectStore } from '../ports.ts';

/**
 * A suppression silences a rule's alerts for groups that match, until it expires; the reason is
 * shown in digests. Stored as `state/suppressions/<tenant>/<id>.json`.
 */
export interface Suppression {
  id: string;
  tenant: string;
  /** A rule id, or `*` for every rule. */
  ruleId: string;
  /** Group fields that must all equal (e.g. { destination: 'mail.contoso.com' }); empty = any group. */
  match: Record<string, string>;
  until: string;
  reason: string;
  createdAt: string;
}

export function suppressionKey(tenant: string, id: string): string {
  return `state/suppressions/${tenant}/${id}.json`;
}

export async function activeSuppressions(store: ObjectStore, tenant: string, now: Date): Promise<Suppression[]> {
  const out: Suppression[] = [];
  for await (const o of store.list(`state/suppressions/${tenant}/`)) {
    const got = await store.get(o.key);
    if (!got) continue;
    const s = JSON.parse(Buffer.from(got.body).toString('utf8')) as Suppression;
    if (Date.parse(s.until) > now.getTime()) out.push(s);
  }
  return out.sort((a, b) => (a.until < b.until ? -1 : 1));
}

export function suppressing(suppressions: Suppression[], ruleId: string, group: Record<string, string | null>): Suppression | undefined {
  return suppressions.find((s) => (s.ruleId === '*' || s.ruleId === ruleId) && Object.entries(s.match).every(([k, v]) => group[k] === v));
}
