import { localeOf } from '../vocabulary/language.ts';
import { FINAL_OUTCOMES, PROBLEM_OUTCOMES, UNDELIVERED_OUTCOMES } from '../vocabulary/outcomes.ts';
import { eventsOf, messagesOf, NO_CODE, SUMMARY_ADVICE, tally, type Tally } from './tally.ts';
import { DIGEST_BETTER_FACTOR, DIGEST_MIN_CHANGE, DIGEST_WORSE_FACTOR, MIN_RATE_VOLUME } from '../vocabulary/thresholds.ts';
import { HOUR } from '../vocabulary/time.ts';
import type { HourlySummary } from '../aggregate/rollup.ts';
import { explainStatus } from '../classify/classify.ts';
import { OWNER_TEXT } from '../classify/owners.ts';
import { sanitizeField, sanitizeGroup } from './sanitize.ts';
import type { Lang } from '../vocabulary/language.ts';
import type { Notification } from '../ports.ts';
import type { Incident } from '../store/incidents.ts';
import type { Suppression } from '../store/suppressions.ts';
import { DEFAULT_DRILL, drillCommand, type DrillContext } from './drill.ts';
import { groupLabel, openIncidents } from './open-incidents.ts';

/** Open incidents a digest names; the rest are counted. */
const DIGEST_INCIDENTS = 20;

/**
 * The digest of one tenant for a period: the headline, what changed against the previous period
 * of the same length (new, worse, better and resolved codes), the top codes with meaning, owner
 * and advice, the top destinations and connectors, an hourly count line, open incidents, and the
 * query to drill down. Pure: the caller reads the summaries and incidents.
 */
export interface DigestInput {
  tenant: string;
  lang: Lang;
  from: number;
  to: number;
  /** Summaries of the period and of the one before it (same length). */
  summaries: HourlySummary[];
  incidents: Incident[];
  /** Active suppressions, listed so nobody forgets what is silenced. */
  suppressions?: Suppression[];
  /** The dashboard snapshot, linked near the top so a shortened message keeps it. */
  report?: { url: string; expiresAt: number };
  /** How the reader runs mailflow, for the drill-down command. */
  drill?: DrillContext;
}

const BARS = '▁▂▃▄▅▆▇█';

const W = {
  en: {
    title: 'Mail flow digest',
    of: 'of',
    problems: 'failed, deferred or expired',
    affected: (m: string, e: string) => `${m} messages failed, deferred or expired (${e} events, retries included)`,
    final: 'final outcomes',
    failedRate: 'permanently failed',
    changes: 'Since the previous period',
    noChanges: 'no change worth noting',
    noPrevious: 'no data in the previous period: nothing to compare with',
    tooFew: (n: string) => `too few final outcomes for a rate (${n})`,
    new: 'new',
    worse: 'worse',
    better: 'better',
    resolved: 'gone',
    topCodes: 'Top codes',
    owner: 'who acts',
    action: 'what to do',
    topDest: 'Top destinations',
    topConn: 'Top connectors',
    perHour: 'Per hour',
    dashboard: 'Dashboard',
    validUntil: 'link valid until',
    incidents: 'Open incidents',
    none: 'none',
    moreIncidents: (n: string) => `… and ${n} more (escalated and newest first above)`,
    drill: 'Drill down',
    quiet: 'No failures or deferrals in this period.',
    suppressed: 'Suppressed',
    until: 'until',
  },
  it: {
    title: 'Riepilogo del flusso di posta',
    of: 'su',
    problems: 'falliti, rinviati o scaduti',
    affected: (m: string, e: string) => `${m} messaggi falliti, rinviati o scaduti (${e} eventi, tentativi compresi)`,
    final: 'esiti finali',
    failedRate: 'falliti in modo definitivo',
    changes: 'Rispetto al periodo precedente',
    noChanges: 'nessun cambiamento rilevante',
    noPrevious: 'nessun dato nel periodo precedente: niente da confrontare',
    tooFew: (n: string) => `troppo pochi esiti finali per un tasso (${n})`,
    new: 'nuovo',
    worse: 'peggiorato',
    better: 'migliorato',
    resolved: 'scomparso',
    topCodes: 'Codici principali',
    owner: 'chi interviene',
    action: 'cosa fare',
    topDest: 'Destinazioni principali',
    topConn: 'Connettori principali',
    perHour: 'Per ora',
    dashboard: 'Cruscotto',
    validUntil: 'link valido fino al',
    incidents: 'Incidenti aperti',
    none: 'nessuno',
    moreIncidents: (n: string) => `… e altri ${n} (sopra prima i peggiorati e i più recenti)`,
    drill: 'Approfondire',
    quiet: 'Nessun errore o rinvio in questo periodo.',
    suppressed: 'Silenziati',
    until: 'fino al',
  },
} as const;

/**
 * A tally with the digest's headline numbers: problem events, and messages — affected, with a final
 * outcome, and of those the failed (a message retried in six hours is one message, six events).
 */
function headline(t: Tally) {
  return {
    ...t,
    problems: eventsOf(t, PROBLEM_OUTCOMES),
    final: messagesOf(t, FINAL_OUTCOMES),
    failed: messagesOf(t, UNDELIVERED_OUTCOMES),
  };
}

/** The n largest entries, ties by name. */
export function topEntries(m: Map<string, number>, n: number): Array<[string, number]> {
  return [...m.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, n);
}

export function buildDigest(input: DigestInput): Notification {
  const w = W[input.lang];
  const locale = localeOf(input.lang);
  const fmt = (n: number) => n.toLocaleString(locale);
  const pct = (a: number, b: number) =>
    b ? `${((100 * a) / b).toLocaleString(locale, { minimumFractionDigits: 1, maximumFractionDigits: 1 })} %` : '-';
  // Rate incidents hold fractions, count incidents whole numbers.
  const value = (v: number) => (Number.isInteger(v) ? fmt(v) : pct(v, 1));
  const length = input.to - input.from;
  const now = headline(tally(input.summaries, input.from, input.to, NO_CODE[input.lang]));
  const before = headline(tally(input.summaries, input.from - length, input.from, NO_CODE[input.lang]));
  const hours = Math.round(length / HOUR);

  const changes: Array<{ code: string; kind: 'new' | 'worse' | 'better' | 'resolved'; now: number; before: number }> = [];
  for (const [code, n] of now.codes) {
    const b = before.codes.get(code) ?? 0;
    if (b === 0) changes.push({ code, kind: 'new', now: n, before: 0 });
    else if (n >= DIGEST_WORSE_FACTOR * b && n - b >= DIGEST_MIN_CHANGE) changes.push({ code, kind: 'worse', now: n, before: b });
    else if (n <= DIGEST_BETTER_FACTOR * b && b - n >= DIGEST_MIN_CHANGE) changes.push({ code, kind: 'better', now: n, before: b });
  }
  for (const [code, b] of before.codes) if (!now.codes.has(code)) changes.push({ code, kind: 'resolved', now: 0, before: b });
  changes.sort((a, b) => Math.abs(b.now - b.before) - Math.abs(a.now - a.before) || (a.code < b.code ? -1 : 1));

  const codes = topEntries(now.codes, 5).map(([code, n]) => {
    const e = /^\d/.test(code) ? explainStatus(code, input.lang) : null;
    return { code, events: n, title: e?.title ?? null, owner: e?.owner ?? null, action: e?.action ?? null };
  });
  const hourLine: number[] = [];
  for (let h = input.from; h < input.to; h += HOUR) hourLine.push(now.perHour.get(h) ?? 0);
  const max = hourLine.reduce((m, n) => Math.max(m, n), 1);
  const spark = hourLine.map((n) => (n === 0 ? ' ' : BARS[Math.min(7, Math.floor((n / max) * 7.999))])).join('');
  const open = openIncidents(input.incidents, null, DIGEST_INCIDENTS);
  const drill = drillCommand(input.drill ?? DEFAULT_DRILL, [
    '--tenant',
    input.tenant,
    '--from',
    iso(input.from),
    '--to',
    iso(input.to),
    '--where',
    'outcome=deferred,failed,expired',
    '--by',
    'code,destination',
  ]);

  const lines = [
    `${w.title}: ${input.tenant}, ${iso(input.from)} → ${iso(input.to)} (${hours} h)`,
    '',
    now.problems === 0
      ? w.quiet
      : now.final < MIN_RATE_VOLUME
        ? `${w.affected(fmt(now.affected), fmt(now.problems))}; ${w.tooFew(`${fmt(now.failed)} ${w.of} ${fmt(now.final)}`)}`
        : `${w.affected(fmt(now.affected), fmt(now.problems))}; ${pct(now.failed, now.final)} ${w.failedRate} (${fmt(now.failed)} ${w.of} ${fmt(now.final)} ${w.final})`,
    ...(input.report ? ['', `${w.dashboard} (${w.validUntil} ${iso(input.report.expiresAt)}):`, input.report.url] : []),
    '',
    `${w.changes}:`,
    // Against a period without any data every code would read as "new".
    ...(before.outcomes.size === 0
      ? [`  ${w.noPrevious}`]
      : changes.length
        ? changes.slice(0, 8).map((c) => `  ${w[c.kind].padEnd(12)} ${c.code.padEnd(9)} ${fmt(c.before)} → ${fmt(c.now)}`)
        : [`  ${w.noChanges}`]),
  ];
  if (codes.length) {
    lines.push('', `${w.topCodes}:`);
    for (const c of codes) {
      lines.push(`  ${c.code.padEnd(9)} ${fmt(c.events).padStart(7)}  ${c.title ?? ''}`);
      if (c.owner) lines.push(`            ${w.owner}: ${OWNER_TEXT[input.lang][c.owner]}`, `            ${w.action}: ${c.action}`);
      if (c.code === NO_CODE[input.lang]) {
        const advice = SUMMARY_ADVICE[input.lang];
        lines.push(`            ${w.action}: ${advice.text}:`, `              ${advice.command}`);
      }
    }
  }
  const listing = (title: string, m: Map<string, number>) => {
    const rows = topEntries(m, 5);
    if (rows.length) lines.push('', `${title}:`, ...rows.map(([k, n]) => `  ${fmt(n).padStart(7)}  ${sanitizeField(k, 80)}`));
  };
  listing(w.topDest, now.destinations);
  listing(w.topConn, now.connectors);
  lines.push('', `${w.perHour} (max ${fmt(max)}): |${spark}|`);
  lines.push('', `${w.incidents}: ${open.total ? (open.total > open.listed.length ? fmt(open.total) : '') : w.none}`);
  for (const i of open.listed)
    lines.push(`  ${i.ruleId} ${sanitizeField(groupLabel(i, input.lang), 80)}: ${value(i.lastValue)} (${i.state}, ${i.openedAt})`);
  if (open.total > open.listed.length) lines.push(`  ${w.moreIncidents(fmt(open.total - open.listed.length))}`);
  const suppressions = input.suppressions ?? [];
  if (suppressions.length) {
    lines.push('', `${w.suppressed}:`);
    for (const x of suppressions)
      lines.push(
        `  ${x.ruleId} ${
          Object.entries(x.match)
            .map(([k, v]) => `${k}=${sanitizeField(v, 80)}`)
            .join(' ') || '*'
        } ${w.until} ${x.until}: ${sanitizeField(x.reason)}`,
      );
  }
  lines.push('', `${w.drill}: ${drill}`);

  return {
    subject: `[mailflow] digest ${input.tenant} ${iso(input.from).slice(0, 10)}: ${now.affected} messages affected`,
    text: lines.join('\n'),
    json: {
      kind: 'digest',
      tenant: input.tenant,
      from: iso(input.from),
      to: iso(input.to),
      problems: now.problems,
      messagesAffected: now.affected,
      failed: now.failed,
      final: now.final,
      previousProblems: before.problems,
      changes,
      topCodes: codes,
      topDestinations: topEntries(now.destinations, 5).map(([name, events]) => ({ name: sanitizeField(name), events })),
      topConnectors: topEntries(now.connectors, 5).map(([name, events]) => ({ name: sanitizeField(name), events })),
      perHour: hourLine,
      suppressions: suppressions.map((x) => ({ ruleId: x.ruleId, match: x.match, until: x.until, reason: sanitizeField(x.reason) })),
      openIncidents: open.listed.map((i) => ({
        ruleId: i.ruleId,
        group: sanitizeGroup(i.group),
        value: i.lastValue,
        state: i.state,
        openedAt: i.openedAt,
        ...(i.folded ? { folded: i.folded.groups } : {}),
      })),
      openIncidentCount: open.total,
      drillDown: drill,
      ...(input.report ? { reportUrl: input.report.url, reportExpiresAt: new Date(input.report.expiresAt).toISOString() } : {}),
    },
  };
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(':00.000Z', 'Z');
}
