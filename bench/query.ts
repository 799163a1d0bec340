/**
 * `npm run bench:query`: how fast the query core answers over 90 days × 24 hours of one tenant,
 * the size the issue sets a 1 s bound for, against DuckDB reading the same summary files.
 *
 * The data folder is made once (a generated 90-day trace-detail export, ingested by the CLI) and
 * kept under bench/data/. Each runner is a whole process timed by /usr/bin/time -v; rounds
 * alternate; medians reported. `mailflow --help` is timed too, so the query's own share is visible.
 * Results: bench/results/query-<date>.md and .json.
 *
 * Then the same 90 days for 50 tenants (the one tenant's summaries copied under 50 names): an
 * all-tenants query, dashboard views (one as `mailflow dashboard` renders it per request, and the
 * static file that carries all 153), and the API's summary, each with the bound of 1 s.
 *
 * Environment: BENCH_ROUNDS (default 7), BENCH_PER_HOUR (messages generated per hour, default 400).
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { buildSync } from 'esbuild';
import { encodeChunks, renderExport } from '../functions/core/generate/render.ts';
import { MAX_REQUESTS_PER_QUESTION } from '../functions/core/store/work-budget.ts';
import { buildCliBundle } from './cli-bundle.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const PER_HOUR = Number(process.env.BENCH_PER_HOUR ?? 400);
const DAYS = 90;
const START = Date.UTC(2026, 7, 1);
const END = START + DAYS * 86_400_000;
const TENANT = 'contoso';
/** The data is made once: its folders are named by the stored summary format, so a new format is measured on its own data. */
const FORMAT = 's2';
const DIR = join('bench/data', `query-${DAYS}d-${PER_HOUR}-${FORMAT}`);
const TENANTS = 50;
const DIR50 = join('bench/data', `query-${TENANTS}x${DAYS}d-${PER_HOUR}-${FORMAT}`);
const BOUND_S = 1;

function timed(args: string[], env: NodeJS.ProcessEnv = process.env): { seconds: number; rssMiB: number; output: string } {
  const r = spawnSync('/usr/bin/time', ['-v', process.execPath, ...args], { encoding: 'utf8', maxBuffer: 256 << 20, env });
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed (${r.status}):\n${r.stderr.slice(-2000)}`);
  const wall = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)/.exec(r.stderr)!;
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)!;
  return { seconds: +(wall[1] ?? 0) * 3600 + +wall[2]! * 60 + +wall[3]!, rssMiB: +rss[1]! / 1024, output: r.stdout };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function ensureData(): Promise<{ summaries: number; bytes: number }> {
  const hourly = join(DIR, 'results/summaries', `tenant=${TENANT}`);
  if (!existsSync(hourly)) {
    mkdirSync(DIR, { recursive: true });
    const csv = join(DIR, 'export.csv');
    process.stderr.write(`generating ${DAYS} days of trace-detail (${PER_HOUR} messages an hour) and ingesting…\n`);
    // No row limit: the export ends where an export taken at the end of the 90 days would.
    await pipeline(
      Readable.from(
        encodeChunks(
          renderExport({
            family: 'trace-detail',
            rows: Number.MAX_SAFE_INTEGER,
            hours: DAYS * 24,
            seed: 9,
            perHour: PER_HOUR,
            start: START,
          }),
          'utf-8',
        ),
      ),
      createWriteStream(csv),
    );
    const r = spawnSync(process.execPath, ['bin/mailflow.js', 'ingest', '--data-dir', DIR, '--tenant', TENANT, csv], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    if (r.status !== 0) throw new Error('ingest failed');
    rmSync(csv);
  }
  copyMonths(DIR);
  // One object per day: its day line, then one hourly summary a line.
  let summaries = 0;
  let bytes = 0;
  for (const f of readdirSync(hourly)) {
    summaries += hourLines(readFileSync(join(hourly, f), 'utf8'));
    bytes += statSync(join(hourly, f)).size;
  }
  return { summaries, bytes };
}

/** 50 tenants, each with the one tenant's 90 days of summaries (its name written into each). */
function ensure50(): number {
  const source = join(DIR, 'results/summaries', `tenant=${TENANT}`);
  const names = Array.from({ length: TENANTS }, (_, i) => `t${String(i).padStart(2, '0')}`);
  if (!existsSync(join(DIR50, 'results/summaries', `tenant=${names.at(-1)}`))) {
    process.stderr.write(`copying the summaries under ${TENANTS} tenants…\n`);
    for (const f of readdirSync(source)) {
      const text = readFileSync(join(source, f), 'utf8');
      for (const t of names) {
        const dir = join(DIR50, 'results/summaries', `tenant=${t}`);
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, f), text.replaceAll(`"tenant":"${TENANT}"`, `"tenant":"${t}"`));
      }
    }
  }
  copyMonths(DIR50);
  const source0 = join(DIR50, 'results/summaries', `tenant=${names[0]}`);
  return TENANTS * readdirSync(source0).reduce((n, f) => n + hourLines(readFileSync(join(source0, f), 'utf8')), 0);
}

/** The months' copies of the day lines, as uploads write them: for data made before months were kept, and for the copied tenants. */
function copyMonths(dir: string): void {
  if (existsSync(join(dir, 'results/summary-months'))) return;
  const r = spawnSync(process.execPath, ['bin/mailflow.js', 'months', '--data-dir', dir], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) throw new Error('mailflow months failed');
}

/** Hourly summaries in a day object's text (its first line is the day's, merged). */
const hourLines = (text: string) => text.split('\n').filter((l) => l.includes('"hour":"')).length;

/**
 * The query function's code bundled as its asset is (esbuild, ESM, minified, the same banner), for
 * Node 20 here: the API rows time what the function runs, without a TypeScript loader at startup.
 */
function apiBundle(): string {
  const outfile = resolve('bench/data/api-peer.mjs');
  buildSync({
    entryPoints: ['bench/peers/api-entry.ts'],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minify: true,
    outfile,
    banner: { js: "import { createRequire } from 'module';const require = createRequire(import.meta.url);" },
  });
  return outfile;
}

const sumEvents = (out: string) => (JSON.parse(out) as Array<{ events: number }>).reduce((n, r) => n + r.events, 0);

/** The 50-tenant views, each a whole process, each against the 1 s bound. */
function fifty(oneTenantEvents: number): string {
  const summaries = ensure50();
  const week = [new Date(END - 7 * 86_400_000).toISOString(), new Date(END).toISOString()];
  const all = [new Date(START).toISOString(), new Date(END).toISOString()];
  const html = join(DIR50, 'dashboard.html');
  const allTenants = ([from, to]: string[], by: string) => [
    'bin/mailflow.js',
    'query',
    '--data-dir',
    DIR50,
    '--from',
    from!,
    '--to',
    to!,
    '--by',
    by,
    '--format',
    'json',
  ];
  const api = { ...process.env, API_PEER_BUNDLE: apiBundle() };
  const runners: Array<{ name: string; args: string[]; env?: NodeJS.ProcessEnv; check: (out: string) => string }> = [
    {
      name: 'mailflow query, all tenants, 90 days, --by tenant,code',
      args: allTenants(all, 'tenant,code'),
      check: (out) => {
        if (sumEvents(out) !== TENANTS * oneTenantEvents) throw new Error(`all-tenants query counted ${sumEvents(out)}`);
        return `${sumEvents(out).toLocaleString('en-US')} events`;
      },
    },
    {
      name: 'mailflow query, all tenants, last 7 days, --by tenant,outcome',
      args: allTenants(week, 'tenant,outcome'),
      check: (out) => `${sumEvents(out).toLocaleString('en-US')} events`,
    },
    ...(['24h', '7d', '30d'] as const).map((range) => ({
      name: `one dashboard view (as mailflow dashboard renders it), all tenants, ${range}`,
      args: ['bench/peers/dashboard-view.mjs', DIR50, range],
      // Bundled, as the CLI that serves the dashboard runs since it is built at install.
      env: api,
      check: (out: string) => {
        const r = JSON.parse(out.trim().split('\n').pop()!) as { kib: number; problems: string; requests: number };
        return `${r.kib} KiB, ${r.problems} messages with problems, ${r.requests.toLocaleString('en-US')} requests of the budget's ${MAX_REQUESTS_PER_QUESTION.toLocaleString('en-US')}`;
      },
    })),
    {
      name: 'mailflow report --html, all tenants: one file of 153 views (51 tenant choices × 24h, 7d, 30d)',
      args: ['bin/mailflow.js', 'report', '--html', '--data-dir', DIR50, '--out', html],
      check: () => `${(statSync(html).size / 1024).toFixed(0)} KiB page`,
    },
    {
      name: 'API /v1/summary, all tenants, last 7 days',
      args: ['bench/peers/api-summary.mjs', DIR50, week[0]!, week[1]!],
      env: api,
      check: (out) => apiResult(out),
    },
    {
      name: 'API /v1/summary, all tenants, 90 days',
      args: ['bench/peers/api-summary.mjs', DIR50, all[0]!, all[1]!],
      env: api,
      check: (out) => apiResult(out),
    },
  ];
  const results = runners.map((r) => ({ ...r, runs: [] as Array<{ seconds: number; rssMiB: number }>, note: '', answered: true }));
  for (let round = 0; round < ROUNDS; round++) {
    for (const r of results) {
      const run = timed(r.args, r.env);
      r.runs.push({ seconds: run.seconds, rssMiB: run.rssMiB });
      r.note = r.check(run.output);
      // A refusal is fast, but it is no answer: it cannot meet the bound.
      r.answered = !/^\d{3}:/.test(r.note) || r.note.startsWith('200');
    }
    process.stderr.write(`50 tenants: round ${round + 1}/${ROUNDS}\n`);
  }
  const rows = results.map((r) => {
    const s = median(r.runs.map((x) => x.seconds));
    const verdict = !r.answered ? 'no answer' : s < BOUND_S ? 'met' : `missed by ${(s / BOUND_S).toFixed(1)}×`;
    return `| ${r.name} | ${s.toFixed(2)} s | ${verdict} | ${Math.max(...r.runs.map((x) => x.rssMiB)).toFixed(0)} MiB | ${r.note} |`;
  });
  writeFileSync(
    join(DIR50, 'results.json'),
    `${JSON.stringify(
      results.map(({ name, runs, note }) => ({ name, runs, note })),
      null,
      1,
    )}\n`,
  );
  return `
## ${TENANTS} tenants × ${DAYS} days

${summaries.toLocaleString('en-US')} hourly summaries (the tenant above, copied under ${TENANTS} names). Bound: under ${BOUND_S} s whole-process.

| view | median wall | bound | peak RSS | answer |
| --- | --- | --- | --- | --- |
${rows.join('\n')}
`;
}

function apiResult(out: string): string {
  const r = JSON.parse(out.trim().split('\n').pop()!) as { status: number; events: number | null; body?: string };
  return r.status === 200
    ? `200, ${r.events!.toLocaleString('en-US')} events`
    : `${r.status}: ${JSON.parse(r.body ?? '{}').error ?? r.body}`;
}

async function main(): Promise<void> {
  buildCliBundle();
  const data = await ensureData();
  const range = ['--from', new Date(START).toISOString(), '--to', new Date(END).toISOString()];
  const runners: Array<{ name: string; args: string[]; events: (out: string) => number | null }> = [
    {
      name: 'mailflow query --by code (whole process)',
      args: ['bin/mailflow.js', 'query', '--data-dir', DIR, '--tenant', TENANT, ...range, '--by', 'code', '--format', 'json'],
      events: (out) => (JSON.parse(out) as Array<{ events: number }>).reduce((n, r) => n + r.events, 0),
    },
    {
      name: 'mailflow query --by hour,outcome',
      args: ['bin/mailflow.js', 'query', '--data-dir', DIR, '--tenant', TENANT, ...range, '--by', 'hour,outcome', '--format', 'json'],
      events: (out) => (JSON.parse(out) as Array<{ events: number }>).reduce((n, r) => n + r.events, 0),
    },
    { name: 'mailflow --help (startup only)', args: ['bin/mailflow.js', '--help'], events: () => null },
    {
      name: 'DuckDB read_json + GROUP BY code, threads=2',
      args: ['bench/peers/duckdb-query.mjs', DIR, TENANT],
      events: (out) => (JSON.parse(out.trim().split('\n').pop()!) as { events: number }).events,
    },
  ];
  const results = runners.map((r) => ({ ...r, runs: [] as Array<{ seconds: number; rssMiB: number }>, counted: null as number | null }));
  for (let round = 0; round < ROUNDS; round++) {
    for (const r of results) {
      const run = timed(r.args);
      r.runs.push({ seconds: run.seconds, rssMiB: run.rssMiB });
      r.counted = r.events(run.output);
    }
    process.stderr.write(`round ${round + 1}/${ROUNDS}\n`);
  }
  const counts = new Set(results.map((r) => r.counted).filter((n) => n !== null));
  if (counts.size !== 1) throw new Error(`the runners disagree on the number of events: ${[...counts].join(' vs ')}`);
  const startup = median(results[2]!.runs.map((r) => r.seconds));
  const duck = median(results[3]!.runs.map((r) => r.seconds));
  const rows = results.map((r) => {
    const s = median(r.runs.map((x) => x.seconds));
    return `| ${r.name} | ${s.toFixed(2)} s | ${(s / duck).toFixed(2)}× | ${Math.max(...r.runs.map((x) => x.rssMiB)).toFixed(0)} MiB |`;
  });
  const date = new Date().toISOString().slice(0, 10);
  const md = `# Query benchmark, ${date}

${DAYS} days × 24 hours of one tenant: ${data.summaries.toLocaleString('en-US')} hourly summaries,
${(data.bytes / 1048576).toFixed(1)} MiB on disk, ${[...counts][0]!.toLocaleString('en-US')} events
(generated trace-detail, ${PER_HOUR} messages an hour). Machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, Node ${process.version}.
Whole processes timed with /usr/bin/time -v; median of ${ROUNDS} alternating rounds; every runner
counted the same events.

| runner | median wall | vs DuckDB | peak RSS |
| --- | --- | --- | --- |
${rows.join('\n')}

The query's own share (whole process minus startup): ${(median(results[0]!.runs.map((r) => r.seconds)) - startup).toFixed(2)} s for --by code.
${fifty([...counts][0]!)}`;
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(`bench/results/query-${date}.md`, md);
  writeFileSync(
    `bench/results/query-${date}.json`,
    `${JSON.stringify({ date, days: DAYS, perHour: PER_HOUR, ...data, results: results.map(({ name, runs, counted }) => ({ name, runs, counted })) }, null, 1)}\n`,
  );
  process.stdout.write(md);
}

await main();
