import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { createGraphClient } from '../../functions/adapters/graph-client.ts';
import { collectTenant, type CollectOptions } from '../../functions/core/flows/collect-tenant.ts';
import { generateMessages, type GenMessage } from '../../functions/core/generate/scenario.ts';
import { detailRows, MESSAGE_TRACES_CONTEXT, traceRow } from '../../functions/core/generate/graph.ts';
import { silentLogger, type Clock, type ObjectStore } from '../../functions/core/ports.ts';
import { queryStore } from '../../functions/core/query/query.ts';
import { readCollectState } from '../../functions/core/store/collect-state.ts';
import { ingestBytes } from '../helpers/ingest.ts';
import { createMemoryStore } from '../helpers/memory-store.ts';
import { startGraphStandin, testCertificates, type GraphStandin, type StandinTenant } from '../helpers/graph-standin.ts';

/**
 * Issue 14: collecting two tenants' message trace from a loopback stand-in for Microsoft Graph
 * (no Graph runs here: the stand-in behaves as Microsoft documents it, see its header). Time is
 * virtual, shared by the stand-in and the collector's clock, so 5-minute quota windows and
 * Retry-After waits pass without waiting.
 */
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const MIN = 60_000;
const START = Date.UTC(2026, 10, 1);
const CLIENT_ID = '11111111-2222-3333-4444-555555555555';
const TENANTS = {
  contoso: 'aaaaaaaa-0000-4000-8000-000000000001',
  fabrikam: 'aaaaaaaa-0000-4000-8000-000000000002',
  // Mail up to the stand-in's present (and on past it): its newest rows still change.
  tailspin: 'aaaaaaaa-0000-4000-8000-000000000003',
  // Mail that arrives while the collector runs every 15 minutes, some of it retried for days.
  litware: 'aaaaaaaa-0000-4000-8000-000000000004',
} as const;

let now = START + 14 * DAY;
/**
 * Where litware's mail starts: after the other tests' clock, and (with its five days) still before
 * the real time, which the app's sign-in assertions carry and the stand-in checks against its own.
 */
const LIVE_START = START + 20 * DAY;
const clock: Clock = { now: () => new Date(now), sleep: async (ms) => void (now += ms) };
const certs = testCertificates();
const truth = new Map<string, GenMessage[]>();
let standin: GraphStandin;

function messages(seed: number, start = START, days = 12): GenMessage[] {
  const out: GenMessage[] = [];
  for (const m of generateMessages({ seed, perHour: 20, start })) {
    if (m.received >= start + days * DAY) break;
    // One row per trace id and recipient, as Graph has it (the generator can name a recipient twice).
    out.push({ ...m, recipients: m.recipients.filter((r, i) => m.recipients.findIndex((x) => x.address === r.address) === i) });
  }
  return out;
}

beforeAll(async () => {
  truth.set(TENANTS.contoso, messages(21));
  truth.set(TENANTS.fabrikam, messages(22));
  truth.set(TENANTS.tailspin, messages(23, now - 2 * DAY, 4));
  truth.set(TENANTS.litware, messages(24, LIVE_START, 2));
  standin = await startGraphStandin(
    {
      clientId: CLIENT_ID,
      appCertificate: certs.appCert,
      now: () => now,
      tenants: [
        ...Object.values(TENANTS).map((id) => ({ id, messages: truth.get(id)! })),
        { id: 'unprovisioned', messages: [], provisioned: false },
        { id: 'no-permission', messages: [], permission: false },
        { id: 'no-consent', messages: [], consented: false },
      ],
    },
    certs,
  );
});

afterAll(() => standin?.close());

const client = (entraTenant: string, appCert = certs.appCert, appKey = certs.appKey) =>
  createGraphClient({
    entraTenant,
    clientId: CLIENT_ID,
    certificatePem: appCert,
    privateKeyPem: appKey,
    graphUrl: standin.url,
    authorityUrl: standin.url,
    ca: standin.ca,
  });

/** Ports whose uploads are ingested into `store` at once (what the data folder's collect does). */
function ports(store: ObjectStore, entraTenant: string, tenant: string, onDeliver: (key: string) => void = () => {}) {
  const graph = client(entraTenant);
  return {
    graph,
    store,
    clock,
    logger: silentLogger,
    async deliver(key: string, body: Uint8Array) {
      onDeliver(key);
      await ingestBytes(store, key.slice(`incoming/${tenant}/`.length), body, { tenant, clock });
    },
  };
}

/** Runs the collector every 15 minutes (virtual) until it has read everything and owes nothing. */
async function collectAll(
  store: ObjectStore,
  tenant: keyof typeof TENANTS,
  options: Partial<CollectOptions> = {},
  onDeliver?: (key: string) => void,
  fromStart = true,
) {
  const runs = [];
  for (let i = 0; i < 60; i++) {
    // The first run names the window's start; the next ones go on from where the last stopped.
    const window = i === 0 && fromStart ? { from: START } : {};
    const r = await collectTenant(ports(store, TENANTS[tenant], tenant, onDeliver), { tenant, ...window, ...options });
    runs.push(r);
    if (r.stopped === 'done' && r.owed === 0) return runs;
    now += 15 * MIN;
  }
  throw new Error('the collection did not finish in 60 runs');
}

/** The stand-in's truth as files: every trace row as one page, and the detail events of every failed or pending row. */
async function reference(
  id: string,
  tenant: string,
  withDetails: (r: GenMessage['recipients'][number]) => boolean = (r) => r.status === 'Failed' || r.status === 'Pending',
): Promise<ObjectStore> {
  const store = createMemoryStore();
  const rows: unknown[] = [];
  const details: string[] = [];
  for (const m of truth.get(id)!)
    for (const r of m.recipients) {
      rows.push(traceRow(m, r));
      if (withDetails(r)) for (const d of detailRows(m, r)) details.push(JSON.stringify(d));
    }
  await ingestBytes(store, 'page.json', Buffer.from(JSON.stringify({ '@odata.context': MESSAGE_TRACES_CONTEXT, value: rows })), {
    tenant,
    clock,
  });
  await ingestBytes(store, 'details.jsonl', Buffer.from(`${details.join('\n')}\n`), { tenant, clock });
  return store;
}

const counts = async (store: ObjectStore) =>
  (await queryStore(store, { by: ['outcome', 'code'] })).sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));

/** The most requests of ours in any 5-minute window. */
function peakPerWindow(times: number[], windowMs = 5 * MIN): number {
  const t = [...times].sort((a, b) => a - b);
  let peak = 0;
  for (let i = 0, j = 0; i < t.length; i++) {
    while (t[i]! - t[j]! >= windowMs) j++;
    peak = Math.max(peak, i - j + 1);
  }
  return peak;
}

/**
 * The command as an admin runs it: a child process that trusts the stand-in's CA only through
 * NODE_EXTRA_CA_CERTS (`caFile`; none when null). Asynchronous: the stand-in answers from this
 * process, which must not block while the child runs.
 */
function mailflow(
  args: string[],
  caFile: string | null = certs.caFile,
  env: NodeJS.ProcessEnv = {},
): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(
      process.execPath,
      ['bin/mailflow.js', ...args],
      { encoding: 'utf8', env: { ...process.env, ...env, NODE_EXTRA_CA_CERTS: caFile ?? '' }, timeout: 120_000 },
      (err, stdout, stderr) => resolve({ status: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    ),
  );
}

/** A folder with the app's PEM file (certificate and key, as `--certificate` takes it). */
function pemIn(dir: string, c = certs): string {
  const pem = join(dir, `app-${c.dir.slice(-6)}.pem`);
  writeFileSync(pem, `${c.appCert}${c.appKey}`);
  return pem;
}

/** The sign-in options of the command, against a stand-in at `url`. */
const signInArgs = (entra: string, pem: string, url: string) => [
  '--entra-tenant',
  entra,
  '--client-id',
  CLIENT_ID,
  '--certificate',
  pem,
  '--graph-url',
  url,
  '--authority-url',
  url,
];

/** A stand-in on real time, for the command's own runs. */
const liveStandin = (tenants: StandinTenant[]) =>
  startGraphStandin({ clientId: CLIENT_ID, appCertificate: certs.appCert, now: () => Date.now(), tenants }, certs);

describe('mailflow collect against a Microsoft Graph stand-in', () => {
  it('collects 12 days of two tenants once each, within the budget, with the codes of the failures', async () => {
    for (const tenant of ['contoso', 'fabrikam'] as const) {
      const store = createMemoryStore();
      const runs = await collectAll(store, tenant);
      const log = standin.log.get(TENANTS[tenant])!;
      expect(runs.length).toBeGreaterThan(1); // the details take more than one run's budget
      expect(peakPerWindow(log.times)).toBeLessThanOrEqual(80);
      expect(log.throttled).toBe(0);
      expect(await counts(store)).toEqual(await counts(await reference(TENANTS[tenant], tenant)));
      const failed = (await counts(store)).filter((r) => r.outcome === 'failed');
      expect(failed.length).toBeGreaterThan(1);
      expect(failed.every((r) => r.code !== null)).toBe(true); // every failure with its code, from its detail events
      const { state } = await readCollectState(store, tenant);
      expect(state.complete, JSON.stringify(state.complete)).toEqual([[START, state.complete[0]![1]]]); // one span from the start, no gaps
      expect(state.complete[0]![1]).toBeGreaterThanOrEqual(START + 12 * DAY);
    }
  });

  it('run every 15 minutes while mail arrives, including mail retried for days before it expires: in the end the counts equal the truth', async () => {
    const store = createMemoryStore();
    const saved = now;
    now = LIVE_START;
    onTestFinished(() => void (now = saved));
    const end = LIVE_START + 5 * DAY; // two days of mail, then three more for the last retries to end
    let runs = 0;
    let rechecks = 0;
    for (; now < end; now += 15 * MIN, runs++) {
      const r = await collectTenant(ports(store, TENANTS.litware, 'litware'), {
        tenant: 'litware',
        ...(runs === 0 ? { from: LIVE_START } : {}),
      });
      rechecks += r.rechecks ?? 0;
    }
    expect(rechecks).toBeGreaterThan(50); // messages still pending read again, hourly, until they settled
    const log = standin.log.get(TENANTS.litware)!;
    expect(peakPerWindow(log.times)).toBeLessThanOrEqual(80);
    // The truth: every trace row, and the detail events of every message that failed or was ever
    // deferred (read live, the collector sees those while they are pending, and keeps reading them
    // until they settle; a message still pending when its row is no longer re-read is not lost).
    const truthCounts = await counts(
      await reference(TENANTS.litware, 'litware', (r) => r.status === 'Failed' || r.events.some((e) => e.event === 'Defer')),
    );
    expect(truthCounts.some((r) => r.outcome === 'expired')).toBe(true); // mail that was pending for a day or more
    expect(truthCounts.filter((r) => r.outcome === 'deferred').length).toBeGreaterThan(1);
    expect(await counts(store)).toEqual(truthCounts);
    const { state } = await readCollectState(store, 'litware');
    expect(state.watch).toEqual([]);
  }, 120_000);

  it('a run interrupted mid-page goes on from that page: no gaps, nothing counted twice', async () => {
    const store = createMemoryStore();
    let pages = 0;
    const crashAfter = (key: string) => {
      if (key.includes('/traces/') && ++pages === 3) throw new Error('the process died here');
    };
    await expect(
      collectTenant(ports(store, TENANTS.contoso, 'contoso', crashAfter), { tenant: 'contoso', from: START, top: 1000 }),
    ).rejects.toThrow('the process died here');
    const { state } = await readCollectState(store, 'contoso');
    expect(state.inProgress).toMatchObject({ page: 3 });
    now += 15 * MIN;
    const keys: string[] = [];
    await collectAll(store, 'contoso', { top: 1000 }, (key) => keys.push(key), false);
    expect(keys[0], keys.slice(0, 3).join(' ')).toMatch(/\/traces\/.*-p0003\.json$/); // the page it died on, read from its saved @odata.nextLink
    expect(await counts(store)).toEqual(await counts(await reference(TENANTS.contoso, 'contoso')));
  });

  it('waits out a 429 as its Retry-After says when other tools used the quota, and still never passes 100 in 5 minutes', async () => {
    now += 30 * MIN;
    const store = createMemoryStore();
    standin.useQuota(TENANTS.fabrikam, 95);
    const before = standin.log.get(TENANTS.fabrikam)!.throttled;
    const first = await collectTenant(ports(store, TENANTS.fabrikam, 'fabrikam'), {
      tenant: 'fabrikam',
      from: START,
      deadline: now + 30 * MIN,
    });
    const log = standin.log.get(TENANTS.fabrikam)!;
    expect(log.throttled).toBeGreaterThan(before);
    expect(first.pages).toBeGreaterThan(0); // it went on after the wait
    const all = [...log.times, ...log.others].filter((t) => t >= now - 60 * MIN);
    expect(peakPerWindow(all)).toBeLessThanOrEqual(101); // 100 admitted, plus the one refused with 429
  });

  it('owes detail calls up to a cap, oldest first, and counts the ones it leaves out (a tenant too large for the budget)', async () => {
    const store = createMemoryStore();
    const r = await collectTenant(ports(store, TENANTS.contoso, 'contoso'), {
      tenant: 'contoso',
      from: START,
      maxOwed: 50,
      budget: { requests: 10, windowMs: 5 * MIN },
    });
    const { state } = await readCollectState(store, 'contoso');
    expect(r.stopped).toBe('budget');
    expect(state.owed.length).toBeLessThanOrEqual(50);
    expect(state.owedDropped).toBeGreaterThan(100);
    expect(state.owed.map((o) => o.received)).toEqual([...state.owed.map((o) => o.received)].sort((a, b) => a - b));
    expect(state.owed[0]!.received).toBeLessThan(START + DAY); // the oldest problems kept
  });

  it('drops an owed detail call whose trace Graph no longer has (404), and goes on', async () => {
    const store = createMemoryStore();
    const { emptyCollectState, saveCollectState } = await import('../../functions/core/store/collect-state.ts');
    const owed = [{ id: 'gone', recipient: 'x@fabrikam.com', received: now - 80 * DAY, status: 'failed' }];
    await saveCollectState(store, { ...emptyCollectState('contoso'), doneUntil: now, owed }, null);
    const r = await collectTenant(ports(store, TENANTS.contoso, 'contoso'), { tenant: 'contoso' });
    expect(r.stopped).toBe('done');
    expect(r.details).toBe(1);
    expect((await readCollectState(store, 'contoso')).state.owed.some((o) => o.id === 'gone')).toBe(false);
  });

  it('re-reads the last 4 hours each run, and calls hours complete only once they no longer change', async () => {
    const store = createMemoryStore();
    const hour = (t: number) => Math.floor(t / HOUR) * HOUR;
    const first = now;
    await collectTenant(ports(store, TENANTS.tailspin, 'tailspin'), { tenant: 'tailspin', from: first - DAY, details: [] });
    let { state } = await readCollectState(store, 'tailspin');
    expect(state.complete).toEqual([[first - DAY, hour(first - 4 * HOUR)]]);
    expect(state.partial).toEqual([[hour(first - 4 * HOUR), first]]);
    now += 5 * HOUR;
    const r = await collectTenant(ports(store, TENANTS.tailspin, 'tailspin'), { tenant: 'tailspin', details: [] });
    expect(r.window.from).toBe(hour(first - 4 * HOUR)); // from the hour 4 hours before where the last run ended
    ({ state } = await readCollectState(store, 'tailspin'));
    expect(state.complete).toEqual([[first - DAY, hour(now - 4 * HOUR)]]);
    expect(state.partial).toEqual([[hour(now - 4 * HOUR), now]]);
  });

  it('tells the admin what is missing: the first-party service principal, the permission, the consent, the right certificate', async () => {
    const store = createMemoryStore();
    const run = (entra: string, graph = client(entra)) =>
      collectTenant({ graph, store, clock, logger: silentLogger, deliver: async () => {} }, { tenant: 'x', from: now - DAY });
    await expect(run('unprovisioned')).rejects.toMatchObject({
      code: 'COLLECT_SERVICE_PRINCIPAL',
      message: expect.stringContaining('New-MgServicePrincipal -AppId 8bd644d1-64a1-4d4b-ae52-2e0cbf64e373'),
    });
    await expect(run('no-permission')).rejects.toMatchObject({
      code: 'COLLECT_PERMISSION',
      message: expect.stringContaining('ExchangeMessageTrace.Read.All'),
    });
    await expect(run('no-consent')).rejects.toMatchObject({
      code: 'COLLECT_CONSENT',
      message: expect.stringContaining('adminconsent?client_id='),
    });
    const other = testCertificates();
    await expect(run(TENANTS.contoso, client(TENANTS.contoso, other.appCert, other.appKey))).rejects.toMatchObject({
      code: 'COLLECT_CERTIFICATE',
    });
  });
});

describe('mailflow collect, the command, as an admin runs it', () => {
  it('signs in with the PEM file, trusts the stand-in through NODE_EXTRA_CA_CERTS, collects, and says what it has', async () => {
    const live = await liveStandin([{ id: TENANTS.contoso, messages: messages(31, Date.now() - 30 * HOUR, 2) }]);
    try {
      const dir = mkdtempSync(join(tmpdir(), 'mailflow-collect-'));
      const pem = pemIn(dir);
      const cli = (...args: string[]) => mailflow(args);
      const signIn = signInArgs(TENANTS.contoso, pem, live.url);
      const r = await cli('collect', '--tenant', 'contoso', '--data-dir', join(dir, 'data'), '--from', '2d', ...signIn);
      expect(r.stderr).not.toContain('mailflow collect:');
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(
        /^contoso: .* UTC in 1 slice\(s\) .*; \d+ request\(s\), \d+ page\(s\), [\d,]+ row\(s\), detail events of \d+ message\(s\) .*; done\n$/,
      );
      expect(r.stderr).toMatch(/graph-trace, [\d,]+ rows/); // each page ingested as it came
      const status = await cli('collect', '--status', '--tenant', 'contoso', '--data-dir', join(dir, 'data'));
      expect(status.stdout).toMatch(
        /^contoso: data complete from .* until .* UTC\n {2}partial \(read before its rows settled; read again next run\): /,
      );
      const q = await cli('query', '--data-dir', join(dir, 'data'), '--tenant', 'contoso', '--by', 'outcome', '--format', 'json');
      const rows = JSON.parse(q.stdout) as Array<{ outcome: string; events: number }>;
      expect(rows.find((x) => x.outcome === 'delivered')!.events).toBeGreaterThan(100);
      // Without the CA the sign-in fails: the stand-in's certificate is trusted through NODE_EXTRA_CA_CERTS only.
      const untrusted = await mailflow(['collect', '--tenant', 'contoso', '--data-dir', join(dir, 'data'), ...signIn], null);
      expect(untrusted.status).toBe(1);
      expect(untrusted.stderr).toMatch(/could not sign in/);
    } finally {
      await live.close();
    }
  }, 120_000);
});

describe('mailflow collect --check (onboarding)', () => {
  it('tells apart a bad certificate, missing consent, a missing permission, the missing service principal and throttling', async () => {
    const live = await liveStandin([
      { id: 'ready', messages: messages(41, Date.now() - 2 * HOUR, 1) },
      { id: 'busy', messages: [] },
      { id: 'unprovisioned', messages: [], provisioned: false },
      { id: 'no-permission', messages: [], permission: false },
      { id: 'no-consent', messages: [], consented: false },
    ]);
    try {
      const dir = mkdtempSync(join(tmpdir(), 'mailflow-check-'));
      const pem = pemIn(dir);
      const wrong = pemIn(dir, testCertificates());
      const check = (entra: string, certificate = pem) =>
        mailflow(['collect', '--check', '--tenant', 't', ...signInArgs(entra, certificate, live.url)]);
      live.useQuota('busy', 100);
      const ready = await check('ready');
      expect(ready.status).toBe(0);
      expect(ready.stdout).toMatch(
        /✓ certificate and private key read[\s\S]*✓ signed in to ready[\s\S]*✓ read the message trace .*ready to collect/,
      );
      const expected: Array<[string, string, RegExp]> = [
        ['ready', wrong, /✗ COLLECT_CERTIFICATE: Entra refused the app's certificate/],
        ['no-consent', pem, /✗ COLLECT_CONSENT: .*adminconsent\?client_id=/],
        ['no-permission', pem, /✓ signed in[\s\S]*✗ COLLECT_PERMISSION: .*ExchangeMessageTrace\.Read\.All/],
        [
          'unprovisioned',
          pem,
          /✓ signed in[\s\S]*✗ COLLECT_SERVICE_PRINCIPAL: .*New-MgServicePrincipal -AppId 8bd644d1-64a1-4d4b-ae52-2e0cbf64e373/,
        ],
        ['busy', pem, /✓ signed in[\s\S]*✗ COLLECT_THROTTLED: .*in use by other tools or admins right now; try again in \d+ s/],
      ];
      for (const [entra, certificate, pattern] of expected) {
        const r = await check(entra, certificate);
        expect(r.status, entra).toBe(1);
        expect(r.stdout, entra).toMatch(pattern);
      }
    } finally {
      await live.close();
    }
  }, 120_000);
});

describe('mailflow collect --bucket --upload-bucket (Ceph RGW)', () => {
  it('keeps its state in the data bucket and puts the pages in the upload bucket, where the ingest function counts them', async () => {
    const { freshBuckets } = await import('../helpers/rgw.ts');
    const { OWNER } = await import('../helpers/lambda/iam.ts');
    const { inProcess, ingestUploadsUnder } = await import('../helpers/deployed.ts');
    const { inject } = await import('vitest');
    const b = await freshBuckets('collect');
    const live = await liveStandin([{ id: TENANTS.contoso, messages: messages(51, Date.now() - 20 * HOUR, 1) }]);
    try {
      const pem = pemIn(mkdtempSync(join(tmpdir(), 'mailflow-collect-s3-')));
      const s3 = ['--endpoint', inject('s3Endpoint'), '--path-style', '--region', 'us-east-1'];
      const signIn = signInArgs(TENANTS.contoso, pem, live.url);
      const env = {
        AWS_ACCESS_KEY_ID: OWNER.accessKeyId,
        AWS_SECRET_ACCESS_KEY: OWNER.secretAccessKey,
        MAILFLOW_S3_UNQUOTED_IF_MATCH: 'true',
      };
      const withEnv = (args: string[]) => mailflow(args, certs.caFile, env);
      const r = await withEnv([
        'collect',
        '--tenant',
        'contoso',
        '--bucket',
        b.data.bucket,
        '--upload-bucket',
        b.uploads.bucket,
        '--from',
        '1d',
        ...s3,
        ...signIn,
      ]);
      expect(r.stderr).not.toContain('mailflow collect:');
      expect(r.status).toBe(0);
      const { state } = await readCollectState(b.data.store, 'contoso');
      expect(state.complete.length).toBe(1);
      // The ingest function, as deployed (its environment), counts each upload.
      const { keys, receipts } = await ingestUploadsUnder(await inProcess('Ingest', b.local), b.uploads, 'incoming/contoso/graph/');
      expect(keys.some((k) => k.includes('/traces/'))).toBe(true);
      expect(keys.some((k) => k.includes('/details/'))).toBe(true);
      expect(r.stderr.split('\n').filter((l) => l.startsWith('↑ s3://')).length).toBe(keys.length);
      expect(receipts.map((x) => x.status)).toEqual(keys.map(() => 'ingested'));
      const rows = await queryStore(b.data.store, { by: ['outcome'] });
      expect(rows.find((x) => x.outcome === 'delivered')!.events).toBeGreaterThan(50);
      const status = await withEnv(['collect', '--status', '--tenant', 'contoso', '--bucket', b.data.bucket, ...s3]);
      expect(status.stdout).toMatch(/^contoso: data complete from /);
    } finally {
      await live.close();
    }
  }, 120_000);
});
