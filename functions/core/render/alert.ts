import { explainStatus } from '../classify/classify.ts';
import { OWNER_TEXT } from '../classify/owners.ts';
import { sanitizeField, sanitizeGroup } from './sanitize.ts';
import type { Rule, TenantSettings } from '../rules/config.ts';
import type { Lang } from '../vocabulary/language.ts';
import type { Notification } from '../ports.ts';
import type { Incident, Transition } from '../store/incidents.ts';
import { DEFAULT_DRILL, drillCommand, type DrillContext } from './drill.ts';

const WORDS = {
  en: {
    open: 'OPEN',
    escalated: 'WORSE',
    resolved: 'RESOLVED',
    alertFor: 'Mail flow alert for',
    what: 'What',
    where: 'Where',
    topCode: 'Top code',
    owner: 'Who acts',
    cause: 'Cause',
    action: 'What to do',
    since: 'Open since',
    peak: 'peak',
    drill: 'Drill down',
    everywhere: 'the whole tenant',
    largestOf: 'the largest of them has',
    folded: (n: string, noun: string, cap: number, top: string) =>
      `${n} more ${noun} over the threshold, beyond the ${cap} with an alert of their own; the largest: ${top}`,
    count: (v: string, r: Rule, messages?: string) =>
      `${messages ? `${messages} message(s), ` : ''}${v} matching events in the last ${duration(r.windowMinutes)} (opens at ${r.open} events, closes below ${r.close})`,
    rate: (v: string, r: Rule, of?: { messages: string; volume: string }) =>
      `${v} of messages with a final outcome in the last ${duration(r.windowMinutes)}${of ? `: ${of.messages} of ${of.volume}` : ''} (opens at ${pct(r.open)}, closes below ${pct(r.close)}, with at least ${r.minVolume} messages)`,
    waiting: (v: string, r: Rule) =>
      `${v} message(s) deferred for more than ${duration(r.olderThanMinutes)} without a final outcome (opens at ${r.open}; Exchange gives up after 24 h)`,
    worse: (from: string) => `More than twice the value it was last reported at (${from}).`,
    resolvedText: (r: Rule) => `Below the close threshold for a full ${duration(r.windowMinutes)}.`,
  },
  it: {
    open: 'APERTO',
    escalated: 'PEGGIORATO',
    resolved: 'RISOLTO',
    alertFor: 'Avviso sul flusso di posta per',
    what: 'Cosa',
    where: 'Dove',
    topCode: 'Codice principale',
    owner: 'Chi interviene',
    cause: 'Causa',
    action: 'Cosa fare',
    since: 'Aperto dal',
    peak: 'picco',
    drill: 'Approfondire',
    everywhere: "l'intero tenant",
    largestOf: 'il maggiore ha',
    folded: (n: string, noun: string, cap: number, top: string) =>
      `altri ${n} ${noun} oltre la soglia, oltre ai ${cap} con un avviso proprio; i maggiori: ${top}`,
    count: (v: string, r: Rule, messages?: string) =>
      `${messages ? `${messages} messaggi, ` : ''}${v} eventi corrispondenti nell'ultima finestra di ${duration(r.windowMinutes)} (si apre a ${r.open} eventi, si chiude sotto ${r.close})`,
    rate: (v: string, r: Rule, of?: { messages: string; volume: string }) =>
      `${v} dei messaggi con un esito finale nell'ultima finestra di ${duration(r.windowMinutes)}${of ? `: ${of.messages} su ${of.volume}` : ''} (si apre a ${pct(r.open)}, si chiude sotto ${pct(r.close)}, con almeno ${r.minVolume} messaggi)`,
    waiting: (v: string, r: Rule) =>
      `${v} messaggi rinviati da più di ${duration(r.olderThanMinutes)} senza un esito finale (si apre a ${r.open}; Exchange rinuncia dopo 24 h)`,
    worse: (from: string) => `Più del doppio del valore segnalato l'ultima volta (${from}).`,
    resolvedText: (r: Rule) => `Sotto la soglia di chiusura per un'intera finestra di ${duration(r.windowMinutes)}.`,
  },
} as const;

const NOUNS: Record<Lang, Record<string, string>> = {
  en: { destination: 'destinations', connector: 'connectors', domain: 'domains', code: 'codes', category: 'categories', '': 'groups' },
  it: { destination: 'destinazioni', connector: 'connettori', domain: 'domini', code: 'codici', category: 'categorie', '': 'gruppi' },
};

/** What a rule's groups are called: "destinations", or "groups" when it groups by several fields. */
function groupNoun(rule: Rule, lang: Lang): string {
  const fields = rule.groupBy.filter((f) => f !== 'tenant');
  return NOUNS[lang][fields.length === 1 ? fields[0]! : '']!;
}

const groupText = (group: Record<string, string | null>): string =>
  Object.entries(group)
    .filter(([k]) => k !== 'tenant')
    .map(([k, v]) => `${k} ${sanitizeField(v ?? '-', 120)}`)
    .join(', ');

function duration(minutes: number): string {
  return minutes % 1440 === 0 ? `${minutes / 1440} d` : minutes % 60 === 0 ? `${minutes / 60} h` : `${minutes} min`;
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1).replace(/\.0$/, '')} %`;
}

/**
 * The incident's own events: its group (the destination that is stuck …), what the rule counts
 * (stuck and queue rules count deferrals; the others their outcomes), and the top code.
 */
function drillFilters(incident: Incident, rule: Rule, topCode: string | null): string[] {
  const where: string[] = [];
  const outcomes = rule.kind === 'stuck' || rule.kind === 'queue' ? ['deferred'] : rule.match.outcomes;
  if (outcomes.length) where.push(`outcome=${outcomes.join(',')}`);
  if (incident.folded) return where.flatMap((w) => ['--where', w]); // many groups: the drill-down lists them all
  const group = Object.entries(incident.group).filter(([k, v]) => k !== 'tenant' && v !== null && !v.includes(','));
  for (const [k, v] of group) where.push(`${k}=${sanitizeField(v, 120)}`);
  if (topCode && !('code' in incident.group)) where.push(`code=${topCode}`);
  return where.flatMap((w) => ['--where', w]);
}

/** The "What" line: the value, and how many messages it stands for. */
function what(incident: Incident, rule: Rule, w: (typeof WORDS)[Lang], show: (v: number) => string): string {
  const n = (x: number | undefined) => x?.toLocaleString('en-US');
  const value = show(incident.lastValue);
  if (rule.kind === 'stuck' || rule.kind === 'queue') return w.waiting(value, rule);
  if (rule.kind !== 'rate') return w.count(value, rule, n(incident.lastMessages));
  const of =
    incident.lastMessages !== undefined && incident.lastVolume !== undefined
      ? { messages: n(incident.lastMessages)!, volume: n(incident.lastVolume)! }
      : undefined;
  return w.rate(value, rule, of);
}

/** One alert, as plain text for people and JSON for machines; data fields sanitized. */
export function renderAlert(
  incident: Incident,
  transition: Transition,
  rule: Rule,
  settings: TenantSettings,
  topCode: string | null,
  drill: DrillContext = DEFAULT_DRILL,
): Notification {
  const lang: Lang = settings.language;
  const w = WORDS[lang];
  const show = (v: number) => (rule.kind === 'rate' ? pct(v) : v.toLocaleString('en-US'));
  const f = incident.folded;
  const where = f
    ? w.folded(
        f.groups.toLocaleString('en-US'),
        groupNoun(rule, lang),
        rule.maxIncidents,
        f.top.map((t) => `${groupText(t.group) || w.everywhere} (${show(t.value)})`).join('; ') || '-',
      )
    : groupText(incident.group) || w.everywhere;
  const explanation = topCode ? explainStatus(topCode, lang) : null;
  // From the start of the window that opened the incident (or of the wait, for stuck and queue).
  const lookback = Math.max(rule.windowMinutes, rule.olderThanMinutes) * 60_000;
  const from = new Date(Date.parse(incident.openedAt) - lookback).toISOString().slice(0, 13);
  const drillDown = drillCommand(drill, [
    '--tenant',
    incident.tenant,
    ...drillFilters(incident, rule, topCode),
    '--by',
    'hour,destination',
    '--from',
    `${from}:00Z`,
  ]);
  const lines = [
    `${w.alertFor} ${incident.tenant}: ${rule.id} — ${w[transition]} (${rule.severity})`,
    '',
    `${w.what}: ${f ? `${w.largestOf} ` : ''}${what(incident, rule, w, show)}`,
    `${w.where}: ${where}`,
  ];
  if (transition === 'escalated') lines.push(w.worse(show(incident.notifications.at(-2)?.value ?? incident.baseline)));
  if (transition === 'resolved') lines.push(w.resolvedText(rule));
  lines.push(`${w.since}: ${incident.openedAt} (${w.peak} ${show(incident.peakValue)})`);
  if (explanation) {
    lines.push(
      '',
      `${w.topCode}: ${topCode} ${explanation.title}`,
      `${w.owner}: ${explanation.owner ? OWNER_TEXT[lang][explanation.owner] : '-'}`,
      `${w.cause}: ${explanation.cause}`,
      `${w.action}: ${explanation.action}`,
    );
  }
  lines.push('', `${w.drill}: ${drillDown}`);
  return {
    subject: `[mailflow] ${rule.severity.toUpperCase()} ${transition}: ${rule.id} (${incident.tenant})`,
    text: lines.join('\n'),
    json: {
      kind: 'alert',
      transition,
      tenant: incident.tenant,
      ruleId: rule.id,
      severity: rule.severity,
      episode: incident.episode,
      group: sanitizeGroup(incident.group),
      value: incident.lastValue,
      ...(incident.lastMessages !== undefined ? { messages: incident.lastMessages } : {}),
      ...(incident.lastVolume !== undefined ? { volume: incident.lastVolume } : {}),
      peak: incident.peakValue,
      folded: f
        ? {
            groups: f.groups,
            top: f.top.map((t) => ({
              group: sanitizeGroup(t.group),
              value: t.value,
            })),
          }
        : null,
      open: rule.open,
      close: rule.close,
      openedAt: incident.openedAt,
      resolvedAt: incident.resolvedAt,
      topCode,
      owner: explanation?.owner ?? null,
      title: explanation?.title ?? null,
      action: explanation?.action ?? null,
      drillDown,
    },
  };
}
