import { createHash, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { certificateAndKey, createGraphClient } from '../../adapters/graph-client.ts';
import { loadRulesConfig } from '../../adapters/rules-file.ts';
import { GraphAccessError, UsageError } from '../../core/errors.ts';
import {
  accessError,
  collectTenant,
  DEFAULT_BUDGET,
  DEFAULT_DETAILS,
  listPath,
  type CollectResult,
} from '../../core/flows/collect-tenant.ts';
import { ingestObject } from '../../core/flows/ingest-object.ts';
import { silentLogger, systemClock } from '../../core/ports.ts';
import { readCollectState, type CollectState, type Span } from '../../core/store/collect-state.ts';
import { createIfAbsent } from '../../core/store/cas.ts';
import { normalizeTenant } from '../../core/store/layout.ts';
import { HOUR, MINUTE } from '../../core/vocabulary/time.ts';
import type { Io } from '../args.ts';
import { defineCommand, parseTime } from '../command.ts';
import { ingestTarget } from '../ingest-target.ts';
import { bucketStore, S3_OPTIONS } from '../s3-options.ts';
import { describe } from '../local-ingest.ts';

export const COLLECT_HELP = `Usage: mailflow collect --tenant T [--from T] [--to T] [--data-dir D | --bucket B --upload-bucket U] [options]
       mailflow collect --status --tenant T [--data-dir D | --bucket B]
       mailflow collect --check --tenant T

Collects the tenant's message trace from Microsoft Graph, so nobody has to export it: the window in
slices of at most 10 days, page by page (each page saved as Graph sent it, under
incoming/<tenant>/graph/, and ingested like any export), then the detail events of failed and
pending messages, oldest first, with what is left of the budget. Microsoft allows 100 message-trace
requests per 5 minutes per tenant, shared with every other tool and admin; mailflow uses at most
80 (--budget), waits out a 429 as Microsoft asks, and when the budget is spent it saves where it
is and ends: the next run goes on from there. Every run reads the last 4 hours again (their rows
still change); nothing is counted twice.

  --tenant T           the tenant (as in mailflow's results)
  --from T, --to T     the window (ISO time, a date, or an age such as 7d); default: from where the
                       last run ended (4 hours before it), or 24 hours back on a first run, to now.
                       Graph keeps 90 days.
  --details S[,S…]     Graph statuses whose messages get their detail events (codes, the receiving
                       server): default ${DEFAULT_DETAILS.join(',')}; none to skip
  --budget N           requests per 5 minutes for this tenant (default ${DEFAULT_BUDGET.requests}, at most 100)
  --dry-run            say what would be read, call nothing
  --status             what has been collected: complete hours, partial ones, gaps, the last run
  --check              onboarding: signs in and reads one trace (one request), and says what is
                       missing: the certificate, admin consent, the permission, Microsoft's
                       first-party service principal, or the quota (others are using it)
Sign-in (app-only, certificate; default: tenants.<T>.collect in mailflow.config.json):
  --entra-tenant ID    the customer's Entra tenant id or domain
  --client-id ID       the app registration's client id
  --certificate FILE   a PEM file with the app's certificate and its private key
  --graph-url URL      Microsoft Graph (default https://graph.microsoft.com; sovereign clouds differ)
  --authority-url URL  the sign-in host (default https://login.microsoftonline.com)
  --data-dir D         the data folder (default .mailflow): pages saved and ingested there, or:
  --bucket B           the deployed pipeline's data bucket (output BucketName), for the collector's
                       state, with --upload-bucket U (output UploadBucketName): the pages go there
                       as uploads, and the ingest function counts them as it counts every upload
  --region R, --endpoint URL, --path-style   as for the other --bucket commands
  --config FILE        the tenants' sign-in and alert rules (default mailflow.config.json if present)
`;

export const collectCommand = defineCommand({
  name: 'collect',
  help: COLLECT_HELP,
  options: {
    tenant: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    details: { type: 'string' },
    budget: { type: 'string' },
    'dry-run': { type: 'boolean' },
    status: { type: 'boolean' },
    check: { type: 'boolean' },
    'entra-tenant': { type: 'string' },
    'client-id': { type: 'string' },
    certificate: { type: 'string' },
    'graph-url': { type: 'string' },
    'authority-url': { type: 'string' },
    'data-dir': { type: 'string' },
    config: { type: 'string' },
    'upload-bucket': { type: 'string' },
    ...S3_OPTIONS,
  },
  async run({ values, io }) {
    if (!values.tenant) throw new UsageError('MISSING_ARGUMENT', 'collect needs --tenant (the tenant whose message trace to collect)');
    const tenant = normalizeTenant(values.tenant);
    if (values.check) return check(await signIn(values, tenant), tenant, io);
    if (values['upload-bucket'] && !values.bucket)
      throw new UsageError('BAD_ARGUMENTS', '--upload-bucket goes with --bucket (the data bucket, where the collector keeps its state)');
    if (values.bucket && !values['upload-bucket'] && !values.status)
      throw new UsageError(
        'MISSING_ARGUMENT',
        'collect --bucket needs --upload-bucket (stack output UploadBucketName): the pages go there as uploads, for the ingest function',
      );
    const target = await ingestTarget(values, io);
    if (values.status) return printStatus(await readCollectState(target.store, tenant).then((s) => s.state), io);
    const now = Date.now();
    const budget = values.budget === undefined ? DEFAULT_BUDGET.requests : Number(values.budget);
    if (!Number.isInteger(budget) || budget < 1 || budget > 100)
      throw new UsageError(
        'BAD_NUMBER',
        `--budget takes requests per 5 minutes, 1 to 100 (Microsoft's limit is 100), not "${values.budget}"`,
      );
    const details =
      values.details === undefined ? [...DEFAULT_DETAILS] : values.details === 'none' ? [] : values.details.split(',').map((s) => s.trim());
    const graph = createGraphClient(await signIn(values, tenant));
    const uploads = values['upload-bucket'] ? (await bucketStore({ ...values, bucket: values['upload-bucket'] })).store : null;
    const deliver = async (key: string, body: Uint8Array) => {
      if (uploads) {
        // Deployed: an upload like any other; the ingest function counts it (its S3 event).
        await createIfAbsent(uploads, key, body);
        return void io.stderr.write(`↑ s3://${values['upload-bucket']}/${key}\n`);
      }
      // Saved where an upload would be (the same layout as the upload bucket), then ingested as one.
      // (A key is never reused: each page is named by when it was read.)
      await createIfAbsent(target.store, key, body);
      const etag = `"${createHash('sha256').update(body).digest('hex')}"`;
      const r = await ingestObject(
        { origin: target.origin, key, tenant, etag, file: key.slice(key.lastIndexOf('/') + 1) },
        (async function* () {
          yield body;
        })(),
        { store: target.store, clock: systemClock, logger: silentLogger },
        { ...target.config, ...(target.alerts ? { alerts: target.alerts } : {}) },
      );
      io.stderr.write(`${describe(r)}\n`);
    };
    try {
      const r = await collectTenant(
        { graph, store: target.store, deliver, clock: systemClock, logger: silentLogger },
        {
          tenant,
          ...(values.from ? { from: parseTime(values.from, now, 'from') } : {}),
          ...(values.to ? { to: parseTime(values.to, now, 'to') } : {}),
          details,
          budget: { requests: budget, windowMs: DEFAULT_BUDGET.windowMs },
          dryRun: values['dry-run'] ?? false,
          deadline: now + 60 * MINUTE,
        },
      );
      io.stdout.write(runLine(r));
      return r.stopped === 'done' || r.stopped === 'dry-run' || r.stopped === 'budget' ? 0 : 1;
    } catch (err) {
      if (err instanceof GraphAccessError) {
        io.stderr.write(`mailflow collect: ${err.message}\n`);
        return 1;
      }
      throw err;
    }
  },
});

async function signIn(
  values: {
    'entra-tenant'?: string;
    'client-id'?: string;
    certificate?: string;
    config?: string;
    'graph-url'?: string;
    'authority-url'?: string;
  },
  tenant: string,
) {
  const { config } = await loadRulesConfig(values.config);
  const c = config.tenants[tenant]?.collect;
  const entraTenant = values['entra-tenant'] ?? c?.entraTenant;
  const clientId = values['client-id'] ?? c?.clientId;
  const file = values.certificate ?? c?.certificate;
  if (!entraTenant || !clientId || !file)
    throw new UsageError(
      'MISSING_ARGUMENT',
      `collect needs the tenant's sign-in: --entra-tenant, --client-id and --certificate, or tenants.${tenant}.collect { entraTenant, clientId, certificate } in mailflow.config.json (see the README's "Collecting from Microsoft Graph")`,
    );
  let pem: string;
  try {
    pem = await readFile(file, 'utf8');
  } catch (err) {
    throw new UsageError('NO_CERTIFICATE', `cannot read the certificate file ${file}: ${(err as Error).message}`);
  }
  const pair = certificateAndKey(pem);
  if (!pair)
    throw new UsageError(
      'NO_CERTIFICATE',
      `${file} must hold the certificate (BEGIN CERTIFICATE) and its private key (BEGIN PRIVATE KEY), PEM, unencrypted: cat cert.pem key.pem > ${file}`,
    );
  return {
    entraTenant,
    clientId,
    ...pair,
    ...(values['graph-url'] ? { graphUrl: values['graph-url'] } : {}),
    ...(values['authority-url'] ? { authorityUrl: values['authority-url'] } : {}),
  };
}

/** Signs in and lists one trace of the last hour: each step's result, and what to do about a failure. */
async function check(credentials: Parameters<typeof createGraphClient>[0], tenant: string, io: Io): Promise<number> {
  const say = (ok: boolean, text: string) => io.stdout.write(`${ok ? '✓' : '✗'} ${text}\n`);
  say(
    true,
    `certificate and private key read (thumbprint ${createHash('sha256').update(new X509Certificate(credentials.certificatePem).raw).digest('hex').slice(0, 16)}…, valid until ${new X509Certificate(credentials.certificatePem).validTo})`,
  );
  let graph: ReturnType<typeof createGraphClient>;
  try {
    graph = createGraphClient(credentials);
    await graph.token();
    say(true, `signed in to ${credentials.entraTenant} as ${credentials.clientId} (the app is consented there and knows this certificate)`);
  } catch (err) {
    if (!(err instanceof GraphAccessError)) throw err;
    say(false, `${err.code}: ${err.message}`);
    return 1;
  }
  const now = Date.now();
  const r = await graph.get(listPath(now - HOUR, now, 1));
  if (r.status === 200) {
    say(
      true,
      "read the message trace (ExchangeMessageTrace.Read.All granted, Microsoft's first-party service principal present): ready to collect",
    );
    return 0;
  }
  if (r.status === 429) {
    say(
      false,
      `COLLECT_THROTTLED: the tenant's message-trace quota (100 requests per 5 minutes) is in use by other tools or admins right now; try again in ${Math.ceil((r.retryAfterMs ?? 60_000) / 1000)} s (collect runs share what is left, 80 at most)`,
    );
    return 1;
  }
  const e = accessError(r, tenant);
  say(false, `${e.code}: ${e.message}`);
  return 1;
}

const iso = (t: number) => new Date(t).toISOString().slice(0, 16).replace('T', ' ');

function runLine(r: CollectResult): string {
  const why: Record<string, string> = {
    done: 'done',
    'dry-run': 'dry run: nothing was read',
    budget: 'the budget is spent: the next run goes on from here',
    throttled: 'Microsoft throttles this tenant (429) longer than this run may wait: the next run goes on from here',
    deadline: 'out of time: the next run goes on from here',
    unavailable: 'Graph is not answering (5xx): the next run goes on from here',
  };
  const slices = r.slices.map((s) => `${iso(s.from)} → ${iso(s.to)}`).join(', ');
  return `${r.tenant}: ${iso(r.window.from)} → ${iso(r.window.to)} UTC in ${r.slices.length} slice(s) (${slices}); ${r.requests} request(s), ${r.pages} page(s), ${r.rows.toLocaleString('en-US')} row(s), detail events of ${r.details} message(s) (${r.detailEvents} events), ${r.owed} owed; ${why[r.stopped] ?? r.stopped}\n`;
}

/** "complete until 14:00; 2 hours missing on 24 Nov": the ledger, for people. */
function printStatus(state: CollectState, io: Io): number {
  if (state.doneUntil === null && state.lastRun === null) {
    io.stdout.write(`${state.tenant}: nothing collected yet (mailflow collect --tenant ${state.tenant})\n`);
    return 0;
  }
  const hours = (s: Span) => Math.round((s[1] - s[0]) / HOUR);
  const complete = state.complete;
  const gaps: Span[] = [];
  for (let i = 1; i < complete.length; i++) gaps.push([complete[i - 1]![1], complete[i]![0]]);
  const lines = [
    `${state.tenant}: data complete from ${complete[0] ? iso(complete[0][0]) : '–'} until ${complete.at(-1) ? iso(complete.at(-1)![1]) : '–'} UTC`,
    ...gaps.map((g) => `  missing: ${iso(g[0])} → ${iso(g[1])} (${hours(g)} hour(s))`),
    ...state.partial.map((p) => `  partial (read before its rows settled; read again next run): ${iso(p[0])} → ${iso(p[1])}`),
    `  detail events owed for ${state.owed.length} message(s)${state.owedDropped ? ` (${state.owedDropped} more left without: more problems than the budget can fetch detail events for; their rows count without codes)` : ''}${state.inProgress ? `; a slice is half read (page ${state.inProgress.page}), the next run goes on there` : ''}`,
    ...(state.watch?.length || state.watchDropped
      ? [
          `  watching ${state.watch?.length ?? 0} message(s) still pending: their detail events are read again every 1 to 4 hours until they settle (3 days at most)${state.watchDropped ? `; ${state.watchDropped} not watched (the list was full)` : ''}`,
        ]
      : []),
    ...(state.lastRun
      ? [
          `  last run ${iso(state.lastRun.at)}: ${state.lastRun.requests} request(s), ${state.lastRun.pages} page(s), ${state.lastRun.rows} row(s), ${state.lastRun.details} detail call(s)${state.lastRun.rechecks ? ` (${state.lastRun.rechecks} of pending messages read again)` : ''}; ${state.lastRun.stopped}`,
        ]
      : []),
  ];
  io.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}
