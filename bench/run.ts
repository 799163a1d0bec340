/**
 * `npm run bench`: ingestion throughput against peers, in one run on the same generated export.
 *
 * Every runner is a whole process, timed by /usr/bin/time -v (wall clock and peak RSS); rounds
 * alternate between runners so drift on a busy machine hits all of them alike; medians are
 * reported. Results go to bench/results/<date>.md (and .json).
 *
 *   (a) mailflow ingest into a fresh data folder (.csv and .csv.gz)
 *   (b) the same aggregation written the straightforward way with csv-parse
 *   (c) DuckDB read_csv + GROUP BY, threads=1 and threads=2
 *   (d) plain zlib gunzip of the .gz, output discarded
 *
 * Environment: BENCH_ROWS (default 1,000,000), BENCH_ROUNDS (default 5), BENCH_BIG=0 to skip
 * the 1 GB memory-flatness run.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { encodeChunks, renderExport } from '../functions/core/generate/render.ts';
import { bundleStats, bundleTable } from './bundle.ts';

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const DATA = 'bench/data';
const TIME = '/usr/bin/time';

interface Run {
  seconds: number;
  rssMiB: number;
  output: string;
}

interface Runner {
  name: string;
  input: 'csv' | 'gz';
  command: () => { cmd: string; args: string[]; cleanup?: () => void };
}

async function ensureExport(rows: number, name: string): Promise<{ csv: string; gz: string }> {
  mkdirSync(DATA, { recursive: true });
  const csv = join(DATA, `${name}.csv`);
  const gz = `${csv}.gz`;
  if (!existsSync(csv)) {
    process.stderr.write(`generating ${csv} (${rows.toLocaleString('en-US')} rows)…\n`);
    await pipeline(Readable.from(encodeChunks(renderExport({ family: 'trace-detail', rows, seed: 1 }), 'utf-8')), createWriteStream(csv));
  }
  if (!existsSync(gz)) {
    process.stderr.write(`compressing ${gz}…\n`);
    await pipeline(createReadStream(csv), createGzip({ level: 6 }), createWriteStream(gz));
  }
  return { csv, gz };
}

function timed(cmd: string, args: string[]): Run {
  const r = spawnSync(TIME, ['-v', cmd, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stderr.slice(-2000)}`);
  const wall = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)/.exec(r.stderr)!;
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)!;
  return {
    seconds: +(wall[1] ?? 0) * 3600 + +wall[2]! * 60 + +wall[3]!,
    rssMiB: +rss[1]! / 1024,
    output: r.stdout.trim().split('\n').pop() ?? '',
  };
}

/**
 * Flushes and waits between runs. This disk is mounted with `discard`: deleting the previous run's
 * ~2,000 objects makes the next few thousand file creations stall for ~1 ms each, which would
 * charge the harness's own cleanup to whichever runner comes next. Every runner gets the same pause.
 */
function settle(): void {
  spawnSync('sync');
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1500);
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

function runners(files: { csv: string; gz: string }): Runner[] {
  const fresh = (tag: string) => {
    const dir = join(DATA, `run-${tag}`);
    rmSync(dir, { recursive: true, force: true });
    return dir;
  };
  const mailflow = (input: 'csv' | 'gz', tmpfs = false): Runner => ({
    name: tmpfs ? 'mailflow ingest, data folder on tmpfs' : 'mailflow ingest',
    input,
    command: () => {
      const dir = tmpfs ? join('/dev/shm', `mailflow-bench-${input}`) : fresh(input);
      rmSync(dir, { recursive: true, force: true });
      return {
        cmd: process.execPath,
        args: ['bin/mailflow.js', 'ingest', '--json', '--data-dir', dir, files[input]],
        cleanup: () => rmSync(dir, { recursive: true, force: true }),
      };
    },
  });
  const tmpfs = existsSync('/dev/shm') ? [mailflow('csv', true), mailflow('gz', true)] : [];
  return [
    mailflow('csv'),
    mailflow('gz'),
    ...tmpfs,
    {
      name: 'csv-parse (straightforward)',
      input: 'csv',
      command: () => ({ cmd: process.execPath, args: ['--import', 'tsx', 'bench/peers/csv-parse-aggregate.ts', files.csv] }),
    },
    {
      name: 'DuckDB threads=1',
      input: 'csv',
      command: () => ({ cmd: process.execPath, args: ['bench/peers/duckdb-aggregate.mjs', files.csv, '1'] }),
    },
    {
      name: 'DuckDB threads=2',
      input: 'csv',
      command: () => ({ cmd: process.execPath, args: ['bench/peers/duckdb-aggregate.mjs', files.csv, '2'] }),
    },
    { name: 'zlib gunzip only', input: 'gz', command: () => ({ cmd: process.execPath, args: ['bench/peers/gunzip.mjs', files.gz] }) },
  ];
}

function profileTop(file: string, n: number): string[] {
  const dir = join(DATA, 'profile');
  rmSync(dir, { recursive: true, force: true });
  const data = join(DATA, 'run-profile');
  rmSync(data, { recursive: true, force: true });
  settle();
  execFileSync(
    process.execPath,
    ['--import', 'tsx', '--cpu-prof', `--cpu-prof-dir=${dir}`, 'bin/mailflow.js', 'ingest', '--data-dir', data, file],
    { stdio: 'ignore' },
  );
  rmSync(data, { recursive: true, force: true });
  const p = JSON.parse(readFileSync(join(dir, readdirSync(dir)[0]!), 'utf8')) as {
    nodes: Array<{ id: number; callFrame: { functionName: string; url: string } }>;
    samples: number[];
    timeDeltas: number[];
  };
  const byId = new Map(p.nodes.map((x) => [x.id, x]));
  const self = new Map<string, number>();
  let total = 0;
  p.samples.forEach((id, i) => {
    const f = byId.get(id)!.callFrame;
    const key = `${f.functionName || '(anonymous)'} ${f.url.split('/').slice(-2).join('/')}`;
    self.set(key, (self.get(key) ?? 0) + p.timeDeltas[i]!);
    total += p.timeDeltas[i]!;
  });
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, v]) => `| ${k.trim()} | ${(v / 1000).toFixed(0)} | ${((100 * v) / total).toFixed(1)} % |`);
}

async function main() {
  if (!existsSync(TIME)) throw new Error(`${TIME} is missing: apt-get install time`);
  const files = await ensureExport(ROWS, `detail-${ROWS}`);
  const size = { csv: statSync(files.csv).size, gz: statSync(files.gz).size };
  const list = runners(files);
  const runs = new Map<string, Run[]>(list.map((r) => [`${r.name}|${r.input}`, []]));
  for (let round = 1; round <= ROUNDS; round++) {
    for (const r of round % 2 ? list : [...list].reverse()) {
      const { cmd, args, cleanup } = r.command();
      const run = timed(cmd, args);
      cleanup?.();
      settle();
      runs.get(`${r.name}|${r.input}`)!.push(run);
      process.stderr.write(`round ${round} ${r.name} (${r.input}): ${run.seconds.toFixed(2)} s, ${run.rssMiB.toFixed(0)} MiB\n`);
    }
  }
  const rows = list.map((r) => {
    const rs = runs.get(`${r.name}|${r.input}`)!;
    const seconds = median(rs.map((x) => x.seconds));
    return {
      name: r.name,
      input: r.input,
      seconds,
      min: Math.min(...rs.map((x) => x.seconds)),
      max: Math.max(...rs.map((x) => x.seconds)),
      mbps: size.csv / 1e6 / seconds,
      rssMiB: Math.max(...rs.map((x) => x.rssMiB)),
      output: rs[0]!.output,
    };
  });
  const ours = rows.find((r) => r.name === 'mailflow ingest' && r.input === 'csv')!;
  const oursGz = rows.find((r) => r.name === 'mailflow ingest' && r.input === 'gz')!;
  const by = (n: string) => rows.find((r) => r.name === n)!;

  let big = '';
  if (process.env.BENCH_BIG !== '0') {
    const bigRows = Math.round((ROWS * 1.05e9) / size.csv);
    const bigFiles = await ensureExport(bigRows, `detail-${bigRows}`);
    const dir = join(DATA, 'run-big');
    rmSync(dir, { recursive: true, force: true });
    settle();
    const run = timed(process.execPath, ['bin/mailflow.js', 'ingest', '--json', '--data-dir', dir, bigFiles.gz]);
    rmSync(dir, { recursive: true, force: true });
    big = `| ${bigRows.toLocaleString('en-US')} rows, ${(statSync(bigFiles.csv).size / 1e9).toFixed(2)} GB (read as .gz) | ${run.seconds.toFixed(2)} s | ${run.rssMiB.toFixed(0)} MiB |`;
  }
  const top = profileTop(files.csv, 15);
  const bundles = await bundleStats();

  const date = new Date().toISOString().slice(0, 10);
  const md = `# Benchmark ${date}

Machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}.
Input: a generated Get-MessageTraceDetail export (\`mailflow generate --family trace-detail --seed 1\`),
${ROWS.toLocaleString('en-US')} rows, ${(size.csv / 1e6).toFixed(0)} MB (${(size.gz / 1e6).toFixed(0)} MB as .gz, level 6), every field quoted,
~12 % deferred/failed rows with \`LED=\` reasons. ${ROUNDS} rounds, runners alternating, whole processes
(startup included), medians; MB/s are of the uncompressed input; RSS is the peak over all rounds.
Between runs: \`sync\` and 1.5 s of rest for every runner (see settle() in bench/run.ts). The data
folder is on the same ext4 disk as the input (mounted with \`discard\` here), where creating the ~2,000
result objects of a month-long export stalls for 1–2 s depending on what the disk did before; the tmpfs
rows show the same work without that, i.e. what parsing, classifying and aggregating cost.

| runner | input | median s (min–max) | MB/s | peak RSS MiB | ratio (mailflow = 1) |
| --- | --- | --- | --- | --- | --- |
${rows.map((r) => `| ${r.name} | ${r.input} | ${r.seconds.toFixed(2)} (${r.min.toFixed(2)}–${r.max.toFixed(2)}) | ${r.mbps.toFixed(0)} | ${r.rssMiB.toFixed(0)} | ${(r.seconds / (r.input === 'gz' ? oursGz : ours).seconds).toFixed(2)} |`).join('\n')}

Against the targets of issue 3 (ratios of throughput, > 1 means mailflow is faster):
- vs DuckDB threads=1: ${(by('DuckDB threads=1').seconds / ours.seconds).toFixed(2)} (target ≥ 1)
- vs csv-parse: ${(by('csv-parse (straightforward)').seconds / ours.seconds).toFixed(2)} (target ≥ 10)
- .gz vs plain gunzip: ${(by('zlib gunzip only').seconds / oursGz.seconds).toFixed(2)} of gunzip's throughput (target ≥ 0.75)
- peak RSS: ${ours.rssMiB.toFixed(0)} MiB (.csv), ${oursGz.rssMiB.toFixed(0)} MiB (.gz) (target < 200)

Counts agree: csv-parse and DuckDB report \`${by('DuckDB threads=1').output}\`; mailflow counts the same
events minus exact duplicates inside the file (its receipt: \`counted\` + \`alreadyCounted\`).

What mailflow does that the peers do not: SHA-256 of the file (the local ETag, on a worker thread),
fingerprints and message sets for deduplication, and writing two objects per hour (rollup and
summary) plus the receipt into the data folder (${(JSON.parse(ours.output) as { hours: number }).hours} hours in this export).

${big ? `Memory stays flat as the file grows:\n\n| input | wall | peak RSS |\n| --- | --- | --- |\n${big}\n` : ''}
The deployed functions' bundles as \`cdk synth\` writes them (esbuild, minified, SDK inside; targets:
under 1 MB and under 150 ms of added cold import time on Node 24 against \`node -e 0\`, medians of 15
processes):

${bundleTable(bundles)}
Where the time goes (CPU profile of one \`mailflow ingest\` of the .csv, self time):

| function | ms | share |
| --- | --- | --- |
${top.join('\n')}
`;
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(`bench/results/${date}.md`, md);
  writeFileSync(`bench/results/${date}.json`, JSON.stringify({ date, rows: ROWS, size, results: rows }, null, 1));
  process.stdout.write(md);
}

await main();
