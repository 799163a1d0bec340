import { localeOf } from '../vocabulary/language.ts';
import { HOUR } from '../vocabulary/time.ts';
import { createHash } from 'node:crypto';
import { CATEGORY_TEXTS } from '../classify/category-texts.ts';
import type { Category } from '../classify/types.ts';
import { groupLabel } from './open-incidents.ts';
import { sanitizeField } from './sanitize.ts';
import { NO_CODE, SUMMARY_ADVICE } from './tally.ts';
import { buckets, sparkStep, type ChartBar, type Headline, type Ranked, type ReportModel } from './report-model.ts';
import type { Lang } from '../vocabulary/language.ts';
import type { Receipt } from '../store/receipts.ts';

/**
 * The dashboard page: one self-contained HTML document (inline CSS, inline SVG, one small inline
 * script; the Content-Security-Policy allows exactly those by hash and nothing else, so the page
 * can load nothing from anywhere). Pure: a string out of models.
 *
 * `static` pages (the report file, the digest's snapshot) carry every view the selector offers
 * and switch between them in the browser; `live` pages (mailflow dashboard) carry one view and
 * ask the server again when the tenant or range changes.
 */
export interface PageOptions {
  mode: 'static' | 'live';
  lang: Lang;
  /** Tenants the selector offers; null stands for all tenants together. */
  tenants: Array<string | null>;
  ranges: string[];
  /** The view shown first. */
  selected: { tenant: string | null; range: string };
  views: Array<{ range: string; model: ReportModel }>;
  generatedAt: number;
}

export const ALL_TENANTS = '*';

const WORDS = {
  en: {
    title: 'Mail flow',
    tenant: 'Tenant',
    range: 'Range',
    all: 'all tenants',
    show: 'Show',
    dataUntil: 'data until',
    noData: 'no data yet',
    collected: (until: string) => `Collected from Microsoft Graph: complete until ${until} UTC`,
    collectedNone: 'Collected from Microsoft Graph: no hour complete yet',
    missing: (n: number, list: string) =>
      `; ${n} hour${n === 1 ? '' : 's'} missing (${list}): the collector has not read ${n === 1 ? 'it' : 'them'} yet`,
    problems: 'Messages affected',
    failed: 'Failed permanently',
    deferred: 'Deferred',
    failureRate: 'Failure rate',
    delivered: 'Delivered',
    filtered: 'Filtered or quarantined',
    tooFew: (n: number) => `too few to say (${n} final outcomes)`,
    eventsBehind: (n: string) => `messages · ${n} events`,
    previousPartial: (p: { covered: number; of: number; unit: 'hour' | 'day' }) =>
      p.covered === 0 ? 'no data in the previous period' : `previous: ${p.covered} of ${p.of} ${p.unit}s with data`,
    vsBefore: 'vs previous',
    new: 'new',
    chart: 'Deferred and failed per hour, by category',
    byTenant: 'By tenant',
    ownWindow: (hours: number) => `its own last ${hours} h`,
    notInChart: (list: string) => `Not in the chart (their data ends before it): ${list}.`,
    quiet: 'No deferred or failed deliveries in this period.',
    codes: 'Top codes',
    code: 'Code',
    events: 'Events',
    change: 'Change',
    meaning: 'Meaning',
    owner: 'Who acts',
    action: 'What to do',
    destinations: 'Top destinations',
    connectors: 'Top connectors',
    name: 'Name',
    trend: 'Trend',
    none: 'none',
    incidents: 'Open incidents',
    moreIncidents: (n: string) => `and ${n} more open incidents, not listed (escalated and newest first)`,
    rule: 'Rule',
    group: 'Group',
    value: 'Value',
    state: 'State',
    since: 'Since',
    receipts: 'Recent uploads',
    badRows: (n: number, line: number | undefined) => `${n.toLocaleString('en-US')} bad row(s), the first on line ${line}`,
    file: 'File',
    status: 'Status',
    reason: 'Reason',
    at: 'Received',
    rows: 'Rows',
    counted: 'Counted',
    generated: 'Generated',
    utc: 'UTC',
    pp: 'pp',
    hoursShort: 'h',
    daysShort: 'd',
    ranges: { '24h': 'last 24 hours', '7d': 'last 7 days', '30d': 'last 30 days' } as Record<string, string>,
    statuses: { ingested: 'ingested', duplicate: 'duplicate', empty: 'empty', rejected: 'rejected', partial: 'partial' } as Record<
      string,
      string
    >,
  },
  it: {
    title: 'Flusso di posta',
    tenant: 'Tenant',
    range: 'Periodo',
    all: 'tutti i tenant',
    show: 'Mostra',
    dataUntil: 'dati fino al',
    noData: 'ancora nessun dato',
    collected: (until: string) => `Raccolti da Microsoft Graph: completi fino alle ${until} UTC`,
    collectedNone: 'Raccolti da Microsoft Graph: ancora nessuna ora completa',
    missing: (n: number, list: string) =>
      `; ${n} ${n === 1 ? 'ora mancante' : 'ore mancanti'} (${list}): il raccoglitore non ${n === 1 ? "l'ha" : 'le ha'} ancora lette`,
    problems: 'Messaggi coinvolti',
    failed: 'Falliti in modo definitivo',
    deferred: 'Rinviati',
    failureRate: 'Tasso di errore',
    delivered: 'Consegnati',
    filtered: 'Filtrati o in quarantena',
    tooFew: (n: number) => `troppo pochi per dirlo (${n} esiti finali)`,
    eventsBehind: (n: string) => `messaggi · ${n} eventi`,
    previousPartial: (p: { covered: number; of: number; unit: 'hour' | 'day' }) =>
      p.covered === 0
        ? 'nessun dato nel periodo precedente'
        : `precedente: ${p.covered} ${p.unit === 'day' ? 'giorni' : 'ore'} su ${p.of} con dati`,
    vsBefore: 'rispetto al precedente',
    new: 'nuovo',
    chart: 'Rinviati e falliti per ora, per categoria',
    byTenant: 'Per tenant',
    ownWindow: (hours: number) => `le sue ultime ${hours} h`,
    notInChart: (list: string) => `Non nel grafico (i loro dati finiscono prima): ${list}.`,
    quiet: 'Nessuna consegna rinviata o fallita in questo periodo.',
    codes: 'Codici principali',
    code: 'Codice',
    events: 'Eventi',
    change: 'Variazione',
    meaning: 'Significato',
    owner: 'Chi interviene',
    action: 'Cosa fare',
    destinations: 'Destinazioni principali',
    connectors: 'Connettori principali',
    name: 'Nome',
    trend: 'Andamento',
    none: 'nessuno',
    incidents: 'Incidenti aperti',
    moreIncidents: (n: string) => `e altri ${n} incidenti aperti, non elencati (prima i peggiorati e i più recenti)`,
    rule: 'Regola',
    group: 'Gruppo',
    value: 'Valore',
    state: 'Stato',
    since: 'Dal',
    receipts: 'Caricamenti recenti',
    badRows: (n: number, line: number | undefined) => `${n.toLocaleString('it-IT')} righe scartate, la prima alla riga ${line}`,
    file: 'File',
    status: 'Stato',
    reason: 'Motivo',
    at: 'Ricevuto',
    rows: 'Righe',
    counted: 'Contati',
    generated: 'Generato',
    utc: 'UTC',
    pp: 'p.p.',
    hoursShort: 'h',
    daysShort: 'g',
    ranges: { '24h': 'ultime 24 ore', '7d': 'ultimi 7 giorni', '30d': 'ultimi 30 giorni' } as Record<string, string>,
    statuses: { ingested: 'acquisito', duplicate: 'duplicato', empty: 'vuoto', rejected: 'rifiutato', partial: 'parziale' } as Record<
      string,
      string
    >,
  },
} as const;

/** One colour per category, readable on white and distinct side by side. */
export const CATEGORY_COLOURS: Record<Category, string> = {
  dns: '#1f77b4',
  'network-timeout': '#ff7f0e',
  'connection-refused': '#d62728',
  'remote-server': '#9467bd',
  'connection-dropped': '#8c564b',
  'tls-certificate': '#e377c2',
  recipient: '#2ca02c',
  'mailbox-quota': '#bcbd22',
  'message-size': '#17becf',
  relay: '#393b79',
  authentication: '#637939',
  'spam-reputation': '#843c39',
  policy: '#7b4173',
  loop: '#3182bd',
  throttling: '#e6550d',
  unknown: '#7f7f7f',
};

const CSS = `
:root{--fg:#1b1f24;--muted:#5b6470;--line:#d8dde3;--bad:#b42318;--good:#067647;--bg:#fff;--card:#f6f8fa}
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
header{display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;align-items:center;justify-content:space-between;padding:.75rem 1rem;border-bottom:1px solid var(--line)}
h1{font-size:1.2rem;margin:0}
h2{font-size:1.05rem;margin:1.6rem 0 .5rem}
form{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center}
label{display:flex;gap:.4rem;align-items:center}
select,button{font:inherit;padding:.3rem .5rem;min-height:2.2rem}
main{padding:0 1rem 2rem;max-width:75rem;margin:0 auto}
.period{color:var(--muted);margin:.8rem 0}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(10rem,1fr));gap:.6rem}
.card{background:var(--card);border:1px solid var(--line);border-radius:.4rem;padding:.6rem .8rem}
.card .label{color:var(--muted);font-size:.85rem}
.card .value{font-size:1.6rem;font-weight:600;font-variant-numeric:tabular-nums}
.card .delta{font-size:.85rem}
.card .events{color:var(--muted);font-size:.8rem}
pre.command{white-space:pre-wrap;word-break:break-all;font-size:.8rem;background:var(--card);border:1px solid var(--line);padding:.4rem}
.worse{color:var(--bad)}.better{color:var(--good)}.same{color:var(--muted)}
.chart{width:100%;height:14rem;display:block;border-bottom:1px solid var(--line)}
.axis{display:flex;justify-content:space-between;color:var(--muted);font-size:.8rem}
.legend{list-style:none;padding:0;margin:.5rem 0;display:flex;flex-wrap:wrap;gap:.3rem 1rem;font-size:.85rem}
.legend svg{vertical-align:middle;margin-right:.3rem}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
th{color:var(--muted);font-weight:600}
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
code{font-size:.9em}
.spark{width:7rem;height:1.4rem;color:var(--bad)}
.two{display:grid;grid-template-columns:repeat(auto-fit,minmax(20rem,1fr));gap:0 1.5rem}
tr.rejected td{background:#fef3f2}
tr.rejected .status{color:var(--bad);font-weight:600}
.muted{color:var(--muted)}
footer{color:var(--muted);font-size:.8rem;padding:1rem;border-top:1px solid var(--line)}
@media (max-width:40rem){.hide-narrow{display:none}.card .value{font-size:1.3rem}}
`;

// Static pages switch views in place; live pages ask the server for the new view.
const SCRIPT = `
var form=document.getElementById('pick');
var views=Array.prototype.slice.call(document.querySelectorAll('section.view'));
document.getElementById('go').hidden=true;
form.addEventListener('change',function(){
  var t=form.elements.tenant.value,r=form.elements.range.value,found=null;
  views.forEach(function(v){if(v.dataset.tenant===t&&v.dataset.range===r)found=v;});
  if(found){views.forEach(function(v){v.hidden=v!==found;});return;}
  if(document.body.dataset.mode==='live')form.submit();
});
`;

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/** The policy, also sent as a header by the dashboard server (which can add frame-ancestors). */
export function contentSecurityPolicy(mode: PageOptions['mode']): string {
  return [
    "default-src 'none'",
    `style-src ${sha256(CSS)}`,
    `script-src ${sha256(SCRIPT)}`,
    'img-src data:',
    `form-action ${mode === 'live' ? "'self'" : "'none'"}`,
    "base-uri 'none'",
  ].join('; ');
}

export function renderReportPage(options: PageOptions): string {
  const w = WORDS[options.lang];
  const key = (t: string | null) => t ?? ALL_TENANTS;
  const tenantOptions = options.tenants
    .map((t) => `<option value="${esc(key(t))}"${t === options.selected.tenant ? ' selected' : ''}>${esc(t ?? w.all)}</option>`)
    .join('');
  const rangeOptions = options.ranges
    .map((r) => `<option value="${esc(r)}"${r === options.selected.range ? ' selected' : ''}>${esc(w.ranges[r] ?? r)}</option>`)
    .join('');
  const views = options.views
    .map(({ range, model }) => renderView(model, range, !(model.tenant === options.selected.tenant && range === options.selected.range)))
    .join('\n');
  const title = `${w.title} · ${options.selected.tenant ?? w.all}`;
  return `<!doctype html>
<html lang="${options.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy(options.mode)}">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body data-mode="${options.mode}">
<header>
<h1>mailflow <span class="muted">${esc(w.title)}</span></h1>
<form id="pick" method="get" action="./">
<label>${w.tenant} <select name="tenant">${tenantOptions}</select></label>
<label>${w.range} <select name="range">${rangeOptions}</select></label>
<button id="go" type="submit">${w.show}</button>
</form>
</header>
<main>
${views}
</main>
<footer>${w.generated} ${esc(time(options.generatedAt))} ${w.utc} · mailflow</footer>
<script>${SCRIPT}</script>
</body>
</html>
`;
}

function renderView(m: ReportModel, range: string, hidden: boolean): string {
  const w = WORDS[m.lang];
  const fmt = number(m.lang);
  const period = `${esc(m.tenant ?? w.all)} · ${esc(time(m.from))} → ${esc(time(m.to))} ${w.utc} · ${
    m.dataUntil === null ? w.noData : `${w.dataUntil} ${esc(time(m.dataUntil))}`
  }`;
  return `<section class="view" data-tenant="${esc(m.tenant ?? ALL_TENANTS)}" data-range="${esc(range)}" data-from="${new Date(m.from).toISOString()}" data-to="${new Date(m.to).toISOString()}"${hidden ? ' hidden' : ''}>
<p class="period">${period}</p>${collection(m)}
<div class="cards">${m.headline.map((h) => card(h, m.lang, m.previous)).join('')}</div>
${m.tenants.length ? tenantTable(m) : ''}<h2>${w.chart}</h2>
${m.bars.length ? chart(m) : `<p class="muted">${w.quiet}</p>`}${notInChart(m)}
<h2>${w.codes}</h2>
${
  m.codes.length
    ? `<div class="scroll"><table class="codes"><thead><tr><th>${w.code}</th><th>${w.events}</th><th>${w.change}</th><th>${w.meaning}</th><th class="hide-narrow">${w.owner}</th><th class="hide-narrow">${w.action}</th></tr></thead><tbody>${m.codes
        .map(
          (c) =>
            `<tr><td><code>${esc(c.code)}</code></td><td class="n">${fmt(c.events)}</td>${change(c.events, c.previous, m.lang)}<td>${esc(c.title ?? '')}</td><td class="hide-narrow">${esc(c.owner ?? '')}</td><td class="hide-narrow">${esc(c.action ?? '')}</td></tr>`,
        )
        .join('')}</tbody></table></div>${
        m.codes.some((c) => c.code === NO_CODE[m.lang])
          ? `<p class="advice">${esc(NO_CODE[m.lang])}: ${esc(SUMMARY_ADVICE[m.lang].text)}:</p><pre class="command">${esc(SUMMARY_ADVICE[m.lang].command)}</pre>`
          : ''
      }`
    : `<p class="muted">${w.none}</p>`
}
<div class="two">
<section><h2>${w.destinations}</h2>${ranked(m.destinations, m, 'destinations')}</section>
<section><h2>${w.connectors}</h2>${ranked(m.connectors, m, 'connectors')}</section>
</div>
<h2>${w.incidents}</h2>
${
  m.incidents.length
    ? `<div class="scroll"><table class="incidents"><thead><tr>${m.tenant === null ? `<th>${w.tenant}</th>` : ''}<th>${w.rule}</th><th>${w.group}</th><th>${w.value}</th><th>${w.state}</th><th>${w.since}</th></tr></thead><tbody>${m.incidents
        .map(
          (i) =>
            `<tr>${m.tenant === null ? `<td>${esc(i.tenant)}</td>` : ''}<td>${esc(i.ruleId)}</td><td>${esc(groupLabel(i, m.lang))}</td><td class="n">${Number.isInteger(i.lastValue) ? fmt(i.lastValue) : percent(i.lastValue, m.lang)}</td><td>${esc(i.state)}</td><td>${esc(time(Date.parse(i.openedAt)))}</td></tr>`,
        )
        .join(
          '',
        )}</tbody></table></div>${m.incidentCount > m.incidents.length ? `<p class="muted">${esc(w.moreIncidents(fmt(m.incidentCount - m.incidents.length)))}</p>` : ''}`
    : `<p class="muted">${w.none}</p>`
}
<h2>${w.receipts}</h2>
${
  m.receipts.length
    ? `<div class="scroll"><table class="receipts"><thead><tr><th>${w.at}</th><th>${w.file}</th><th>${w.status}</th><th class="hide-narrow">${w.rows}</th><th class="hide-narrow">${w.counted}</th><th>${w.reason}</th></tr></thead><tbody>${m.receipts
        .map(
          (r) =>
            `<tr class="${r.status === 'rejected' || r.status === 'partial' ? 'rejected' : ''}"><td class="n">${esc(time(Date.parse(r.ingestedAt)))}</td><td>${esc(r.key)}</td><td class="status">${esc(w.statuses[r.status] ?? r.status)}</td><td class="n hide-narrow">${fmt(r.rows)}</td><td class="n hide-narrow">${fmt(r.counted)}</td><td>${esc(r.reason ?? badRows(r, w.badRows))}</td></tr>`,
        )
        .join('')}</tbody></table></div>${
        m.codes.some((c) => c.code === NO_CODE[m.lang])
          ? `<p class="advice">${esc(NO_CODE[m.lang])}: ${esc(SUMMARY_ADVICE[m.lang].text)}:</p><pre class="command">${esc(SUMMARY_ADVICE[m.lang].command)}</pre>`
          : ''
      }`
    : `<p class="muted">${w.none}</p>`
}
</section>`;
}

/** An ingested upload that skipped rows says how many and why the first was skipped. */
function badRows(r: Receipt, words: (n: number, line: number | undefined) => string): string {
  const { count, samples } = r.rejectedRows;
  if (!count) return '';
  return `${words(count, samples[0]?.line)}: ${samples[0]?.reason ?? ''}`;
}

/** All tenants together: the tenants whose data ends before the chart begins, said, not silently missing. */
function notInChart(m: ReportModel): string {
  const gone = m.tenants.filter((t) => t.dataUntil !== null && t.dataUntil <= m.from);
  if (!gone.length) return '';
  const list = gone.map((t) => `${t.tenant} (${WORDS[m.lang].dataUntil} ${time(t.dataUntil!)})`).join(', ');
  return `<p class="muted not-in-chart">${esc(WORDS[m.lang].notInChart(list))}</p>`;
}

/** All tenants together: which customer is worst, and whose data stopped. */
function tenantTable(m: ReportModel): string {
  const w = WORDS[m.lang];
  const fmt = number(m.lang);
  const rows = m.tenants
    .map(
      (t) =>
        `<tr><td>${esc(t.tenant)}</td><td class="n">${fmt(t.problems)}</td><td class="n">${fmt(t.failed)}</td><td class="n hide-narrow">${fmt(t.deferred)}</td><td class="n">${t.failureRate === null ? '–' : percent(t.failureRate, m.lang)}</td><td class="n hide-narrow">${t.dataUntil === null ? w.noData : esc(time(t.dataUntil))}${t.ownWindowTo === undefined ? '' : ` <span class="muted">(${esc(w.ownWindow(m.hours))})</span>`}</td></tr>`,
    )
    .join('');
  return `<h2>${w.byTenant}</h2>
<div class="scroll"><table class="tenants"><thead><tr><th>${w.tenant}</th><th>${w.problems}</th><th>${w.failed}</th><th class="hide-narrow">${w.deferred}</th><th>${w.failureRate}</th><th class="hide-narrow">${w.dataUntil}</th></tr></thead><tbody>${rows}</tbody></table></div>
`;
}

function card(h: Headline, lang: Lang, previous: ReportModel['previous']): string {
  const w = WORDS[lang];
  if (h.tooFew !== undefined) {
    return `<div class="card" data-key="${h.key}"><div class="label">${w[h.key]}</div><div class="value">–</div><div class="delta">${esc(w.tooFew(h.tooFew))}</div></div>`;
  }
  const value = h.rate ? percent(h.now, lang) : number(lang)(h.now);
  const events = h.events === undefined ? '' : `<div class="events">${esc(w.eventsBehind(number(lang)(h.events)))}</div>`;
  // A trend against a period only partly covered by data would be a guess ("+312 %" in red).
  if (previous.covered < previous.of) {
    return `<div class="card" data-key="${h.key}"><div class="label">${w[h.key]}</div><div class="value">${value}</div>${events}<div class="delta">${esc(w.previousPartial(previous))}</div></div>`;
  }
  const diff = h.now - h.before;
  const cls = changeClass(diff, h.riseIsBad);
  const delta = h.rate
    ? `${signed(diff * 100, lang, 1)} ${w.pp}`
    : h.before === 0
      ? h.now === 0
        ? '±0'
        : w.new
      : `${signed(diff, lang, 0)} (${signed((100 * diff) / h.before, lang, 0)} %)`;
  return `<div class="card" data-key="${h.key}"><div class="label">${w[h.key]}</div><div class="value">${value}</div>${events}<div class="delta ${cls}">${delta} ${w.vsBefore}</div></div>`;
}

function chart(m: ReportModel): string {
  const W = 1000;
  const H = 200;
  const grid = buckets(m.from, m.to);
  const slot = W / Math.max(1, grid.count);
  const width = Math.max(slot * 0.8, 0.5);
  const fmt = number(m.lang);
  const bar = (b: ChartBar) => {
    const x = ((b.hour - grid.origin) / grid.step) * slot + (slot - width) / 2;
    let y = H;
    const rects = b.segments.map((s) => {
      const h = (s.events / m.maxBar) * H;
      y -= h;
      return `<rect x="${x.toFixed(2)}" y="${y.toFixed(2)}" width="${width.toFixed(2)}" height="${h.toFixed(2)}" fill="${CATEGORY_COLOURS[s.category]}"/>`;
    });
    const tip = `${time(b.hour)}: ${fmt(b.total)} (${b.segments.map((s) => `${categoryName(s.category, m.lang)} ${fmt(s.events)}`).join(', ')})`;
    return `<g class="bar" data-hour="${new Date(b.hour).toISOString()}" data-total="${b.total}"><title>${esc(tip)}</title>${rects.join('')}</g>`;
  };
  const legend = m.categories
    .map(
      (c) =>
        `<li><svg width="10" height="10" aria-hidden="true"><rect width="10" height="10" fill="${CATEGORY_COLOURS[c]}"/></svg>${esc(categoryName(c, m.lang))}</li>`,
    )
    .join('');
  return `<svg class="chart" viewBox="0 0 ${W} ${H}" preserveAspectRatio="none" role="img" aria-label="${esc(WORDS[m.lang].chart)}">${m.bars.map(bar).join('')}</svg>
<div class="axis"><span>${esc(time(m.from))}</span><span>max ${fmt(m.maxBar)}/${grid.step === HOUR ? WORDS[m.lang].hoursShort : WORDS[m.lang].daysShort}</span><span>${esc(time(m.to))}</span></div>
<ul class="legend">${legend}</ul>`;
}

// Problems in 'unknown' are those without a code (and without words to go by): summary exports.
const categoryName = (c: Category, lang: Lang) => (c === 'unknown' ? NO_CODE[lang] : CATEGORY_TEXTS[c][lang][0]);

function ranked(rows: Ranked[], m: ReportModel, cls: string): string {
  const w = WORDS[m.lang];
  if (!rows.length) return `<p class="muted">${w.none}</p>`;
  const step = sparkStep(m.from, m.to) === HOUR ? w.hoursShort : w.daysShort;
  return `<div class="scroll"><table class="${cls}"><thead><tr><th>${w.name}</th><th>${w.events}</th><th>${w.change}</th><th>${w.trend} (1 ${step})</th></tr></thead><tbody>${rows
    .map(
      (r) =>
        `<tr><td>${esc(r.name)}</td><td class="n">${number(m.lang)(r.events)}</td>${change(r.events, r.previous, m.lang)}<td>${spark(r.spark)}</td></tr>`,
    )
    .join('')}</tbody></table></div>`;
}

function spark(values: number[]): string {
  const max = values.reduce((m, v) => Math.max(m, v), 1);
  const n = Math.max(1, values.length - 1);
  const points = values.map((v, i) => `${((i / n) * 100).toFixed(1)},${(19 - (v / max) * 18).toFixed(1)}`).join(' ');
  return `<svg class="spark" viewBox="0 0 100 20" preserveAspectRatio="none" aria-hidden="true"><polyline points="${points}" fill="none" stroke="currentColor" stroke-width="1.5" vector-effect="non-scaling-stroke"/></svg>`;
}

const changeClass = (diff: number, riseIsBad: boolean) => (diff === 0 ? 'same' : diff > 0 === riseIsBad ? 'worse' : 'better');

/** A table cell with the change of a count of problems (a rise is bad news). */
function change(now: number, before: number, lang: Lang): string {
  const diff = now - before;
  const cls = changeClass(diff, true);
  return `<td class="n ${cls}">${before === 0 && now > 0 ? WORDS[lang].new : signed(diff, lang, 0)}</td>`;
}

/**
 * Number formats, made once per language and digits: making one costs tens of microseconds
 * (`toLocaleString` with options makes one per call), and a page of 153 views prints ~100,000 numbers.
 */
const formats = new Map<string, Intl.NumberFormat>();

function format(lang: Lang, digits?: number): Intl.NumberFormat {
  const key = `${lang}${digits ?? ''}`;
  let f = formats.get(key);
  if (!f)
    formats.set(
      key,
      (f = new Intl.NumberFormat(
        localeOf(lang),
        digits === undefined ? {} : { minimumFractionDigits: digits, maximumFractionDigits: digits },
      )),
    );
  return f;
}

function number(lang: Lang): (n: number) => string {
  const f = format(lang);
  return (n) => f.format(n);
}

function percent(fraction: number, lang: Lang): string {
  return `${format(lang, 1).format(fraction * 100)} %`;
}

function signed(n: number, lang: Lang, digits: number): string {
  const text = format(lang, digits).format(Math.abs(n));
  return n > 0 ? `+${text}` : n < 0 ? `−${text}` : '±0';
}

/** The collector's coverage: "complete until 14:00 UTC; 2 hours missing (2026-11-24 10:00 → 12:00)". */
function collection(m: ReportModel): string {
  const c = m.collection;
  if (!c) return '';
  const w = WORDS[m.lang];
  const hours = c.missing.reduce((n, s) => n + Math.round((s.to - s.from) / HOUR), 0);
  const list = c.missing.map((s) => `${time(s.from)} → ${time(s.to)}`).join(', ');
  const text =
    (c.completeUntil === null ? w.collectedNone : w.collected(time(c.completeUntil))) + (c.missing.length ? w.missing(hours, list) : '');
  return `\n<p class="collection${c.missing.length ? ' gaps' : ''}" data-complete-until="${c.completeUntil === null ? '' : new Date(c.completeUntil).toISOString()}" data-missing-hours="${hours}">${esc(text)}</p>`;
}

function time(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
}

/** Text from exports (addresses, server names, reasons) is attacker-controlled: escaped, and stripped of controls. */
function esc(value: string): string {
  return sanitizeField(value, 300).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}
