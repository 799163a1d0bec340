import { UsageError } from '../errors.ts';
import type { ObjectStore } from '../ports.ts';
import { tenantsWithResults } from '../query/query.ts';
import { renderReportPage } from './report-html.ts';
import { loadReportInput, tenantInputFrom, RANGES, type RangeName } from './report-load.ts';
import { mapLimit } from '../vocabulary/for-each-limit.ts';
import { buildReportModel, TallyMemo, type ReportInput, type ReportModel } from './report-model.ts';
import type { Lang } from '../vocabulary/language.ts';

export interface ReportRequest {
  mode: 'static' | 'live';
  lang: Lang;
  /** The view shown first: a tenant, or null for all tenants together. */
  tenant: string | null;
  range: RangeName;
  /** The tenants the page covers (default: every tenant with results). */
  tenants?: string[];
  /** Static pages: the ranges to include (default all the selector offers). */
  ranges?: RangeName[];
  /** End of the period (default: the end of the data). */
  to?: number;
  now: number;
}

/** The static page's tenant inputs held at once: each is a tenant's summaries of its longest range. */
const TENANT_INPUTS_AT_ONCE = 16;

/** The whole page for a request: read what each view needs, build its model, render. */
export async function renderReport(store: ObjectStore, req: ReportRequest): Promise<{ html: string; views: number }> {
  const tenants = req.tenants ?? (await tenantsWithResults(store));
  if (req.tenant !== null && !tenants.includes(req.tenant)) {
    throw new UsageError(
      'UNKNOWN_TENANT',
      `no results for tenant "${req.tenant}"${tenants.length ? `; tenants with results: ${tenants.join(', ')}` : ''}`,
    );
  }
  const choices: Array<string | null> = tenants.length > 1 ? [null, ...tenants] : tenants.length ? [...tenants] : [null];
  const tenant = tenants.length === 1 && req.tenant === null ? tenants[0]! : req.tenant;
  const ranges = req.mode === 'static' ? (req.ranges ?? (Object.keys(RANGES) as RangeName[])) : [req.range];
  const range = ranges.includes(req.range) ? req.range : ranges[0]!;
  const shown = req.mode === 'static' ? ranges : [range];
  const longest = shown.reduce((a, b) => (RANGES[b] > RANGES[a] ? b : a));
  const views: Array<{ range: RangeName; model: ReportModel }> = [];
  // One read per tenant choice, for its longest range; the shorter views are cut from it. A tenant
  // whose window is the all-tenants one (read first) is cut from that too.
  let all: Omit<ReportInput, 'lang'> | null = null;
  // A live page is one view: nothing to hand on.
  const memo = req.mode === 'static' ? new TallyMemo() : undefined;
  const to = req.to !== undefined ? { to: req.to } : {};
  const inputOf = async (t: string | null) => {
    const cut = t !== null && all ? await tenantInputFrom(store, all, t, { range: longest, ...to }) : null;
    const input: Omit<ReportInput, 'lang'> =
      cut ?? (await loadReportInput(store, { tenant: t, tenants, range: longest, views: shown, now: req.now, ...to }));
    return { input, cut: cut !== null };
  };
  const order = req.mode === 'static' ? choices : [tenant];
  // The all-tenants input alone first (the tenants' are cut from it), then the tenants' inputs a
  // batch at a time, read together (on S3 each is a few round trips) and their views built in order.
  for (let i = 0; i < order.length;) {
    const batch = order[i] === null ? [null] : order.slice(i, i + TENANT_INPUTS_AT_ONCE);
    const loaded = await mapLimit(batch, TENANT_INPUTS_AT_ONCE, inputOf);
    batch.forEach((t, j) => {
      const { input, cut } = loaded[j]!;
      if (t === null) all = input;
      // The all-tenants view's tallies of a tenant hold for the tenant's own views only when those are cut from its input.
      if (t !== null && !cut) memo?.forget(t);
      for (const r of shown)
        views.push({ range: r, model: buildReportModel({ ...input, from: input.to - RANGES[r], lang: req.lang }, memo) });
      if (t !== null) memo?.forget(t);
    });
    i += batch.length;
  }
  const html = renderReportPage({
    mode: req.mode,
    lang: req.lang,
    tenants: choices,
    ranges: req.mode === 'static' ? ranges : Object.keys(RANGES),
    selected: { tenant, range },
    views,
    generatedAt: req.now,
  });
  return { html, views: views.length };
}
