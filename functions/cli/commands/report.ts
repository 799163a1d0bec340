import { STORE_OPTIONS, defineCommand, languageOf, parseTime, storeFrom } from '../command.ts';
import { writeFile } from 'node:fs/promises';
import { tenantSet } from '../../core/store/layout.ts';
import { assertTenantsExist } from '../../core/query/query.ts';
import { UsageError } from '../../core/errors.ts';
import type { ObjectStore } from '../../core/ports.ts';
import { parseRange, RANGES } from '../../core/render/report-load.ts';
import { renderReport } from '../../core/render/report.ts';
import { S3_HELP } from '../s3-options.ts';

export const REPORT_HELP = `Usage: mailflow report --html [--out report.html] [options]

Writes the dashboard as one self-contained HTML file: headline numbers against the previous
period, deferred and failed per hour by category, top codes with meaning, owner and advice, top
destinations and connectors with a trend line, open incidents, recent uploads (rejected ones
highlighted). The file loads nothing from anywhere; its tenant and range selector switches
between views it carries (every tenant, and all together, × ${Object.keys(RANGES).join(', ')}).

Options:
  --html             the format (the only one; the digest command prints text)
  --out FILE         where to write it (default: standard output when piped, else report.html)
  --data-dir D       the data folder (default .mailflow); or --bucket B for the deployed pipeline
  --tenant T[,T…]    only these tenants (default: every tenant with results)
  --range R          the view shown first: ${Object.keys(RANGES).join(', ')} (default 24h)
  --ranges R[,R…]    the ranges the file carries (default all)
  --to T             end of the period (default: the end of the data)
  --lang en|it       language (default: the tenant's, from mailflow.config.json or --config)
  --config FILE      the rules and tenant settings file
${S3_HELP}`;

export const reportCommand = defineCommand({
  name: 'report',
  help: REPORT_HELP,
  options: {
    html: { type: 'boolean' },
    out: { type: 'string' },
    tenant: { type: 'string' },
    range: { type: 'string' },
    ranges: { type: 'string' },
    to: { type: 'string' },
    lang: { type: 'string' },
    config: { type: 'string' },
    ...STORE_OPTIONS,
  },
  positionals: false,
  async run({ values, io }) {
    if (!values.html) throw new UsageError('NO_FORMAT', 'say --html: the report is an HTML page (for text, use mailflow digest)');
    const store: ObjectStore = await storeFrom(values);
    const tenants = values.tenant ? tenantSet(values.tenant) : undefined;
    if (tenants) await assertTenantsExist(store, tenants);
    const ranges = values.ranges ? values.ranges.split(',').map((r) => parseRange(r.trim())) : undefined;
    const lang = await languageOf(values.lang, values.config, tenants?.length === 1 ? tenants[0]! : null);
    const now = Date.now();
    const { html, views } = await renderReport(store, {
      mode: 'static',
      lang,
      tenant: tenants?.length === 1 ? tenants[0]! : null,
      range: parseRange(values.range),
      ...(tenants ? { tenants } : {}),
      ...(ranges ? { ranges } : {}),
      ...(values.to ? { to: parseTime(values.to, now, 'to') } : {}),
      now,
    });
    const out = values.out ?? (io.stdout.isTTY ? 'report.html' : undefined);
    if (out === undefined) io.stdout.write(html);
    else {
      await writeFile(out, html);
      io.stderr.write(`wrote ${out} (${views} views, ${(Buffer.byteLength(html) / 1024).toFixed(0)} KiB): open it in a browser\n`);
    }
    return 0;
  },
});

/** --lang, else the tenant's language from the config, else English. */
