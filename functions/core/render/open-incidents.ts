import type { Incident } from '../store/incidents.ts';
import { localeOf, type Lang } from '../vocabulary/language.ts';

const LABELS: Record<Lang, { folded: (n: string) => string; everywhere: string }> = {
  en: { folded: (n) => `${n} more groups (folded)`, everywhere: 'whole tenant' },
  it: { folded: (n) => `altri ${n} gruppi (raggruppati)`, everywhere: 'intero tenant' },
};

/** Open incidents a dashboard or digest lists by name; the rest are counted ("and 1,234 more"). */
export const LISTED_INCIDENTS = 50;

/**
 * The open incidents worth naming first, whatever their number: escalated before open, then the
 * newest. Picked in one pass over the list (no spread, no copy of a 375,000-incident array).
 */
export function openIncidents(
  incidents: readonly Incident[],
  tenant: string | null,
  limit = LISTED_INCIDENTS,
): { listed: Incident[]; total: number } {
  const open: Incident[] = [];
  for (const i of incidents) if (i.state !== 'resolved' && (tenant === null || i.tenant === tenant)) open.push(i);
  const rank = (i: Incident) => (i.state === 'escalated' ? 1 : 0);
  open.sort((a, b) => rank(b) - rank(a) || (a.openedAt < b.openedAt ? 1 : a.openedAt > b.openedAt ? -1 : 0));
  return { listed: open.slice(0, limit), total: open.length };
}

/** The group of an incident as a short text: `destination=mx1.fabrikam.com`, or how many groups a fold holds. */
export function groupLabel(i: Incident, lang: Lang): string {
  if (i.folded) return LABELS[lang].folded(i.folded.groups.toLocaleString(localeOf(lang)));
  return (
    Object.entries(i.group)
      .filter(([k]) => k !== 'tenant')
      .map(([k, v]) => `${k}=${v ?? '-'}`)
      .join(' ') || LABELS[lang].everywhere
  );
}
