import { HOUR } from '../vocabulary/time.ts';
/**
 * A deterministic, realistic day (or more) of mail flow for one tenant, as a stream of messages
 * with per-recipient event histories. Every export family is rendered from the same messages,
 * so one seed gives the same logical events whichever family, encoding or delimiter is chosen.
 *
 * Patterns: mostly clean delivery; a connector outage where the on-premises firewall refuses
 * Exchange Online (a burst of 4.4.316 deferrals, ending in 5.4.316 expiries for the messages
 * that waited too long); NDR noise (unknown recipients, full mailboxes, DMARC rejects, a partner
 * with an expired certificate); inbound spam filtered or quarantined.
 */

export interface GenEvent {
  time: number;
  /** Event word as the detail export writes it. */
  event: 'Receive' | 'Deliver' | 'Send' | 'Defer' | 'Fail' | 'Expand';
  /** Status text with the LED block, as Detail / recipient_status carry it. */
  detail: string;
}

export interface GenRecipient {
  address: string;
  /** Summary status: Delivered, Failed, Pending, FilteredAsSpam, Quarantined. */
  status: 'Delivered' | 'Failed' | 'Pending' | 'FilteredAsSpam' | 'Quarantined';
  events: GenEvent[];
}

export interface GenMessage {
  received: number;
  messageId: string;
  traceId: string;
  sender: string;
  subject: string;
  size: number;
  direction: 'inbound' | 'outbound';
  connector: string;
  fromIp: string;
  toIp: string;
  /** The receiving server's name, for outbound mail: what a tracking log's SEND entry names. */
  toHost: string;
  recipients: GenRecipient[];
}

/** splitmix32: small, fast and good enough for reproducible fixtures. */
export function createRandom(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return ((z ^ (z >>> 16)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!,
    chance: (p: number) => next() < p,
    hex: (n: number) => {
      let out = '';
      for (let i = 0; i < n; i++) out += Math.floor(next() * 16).toString(16);
      return out;
    },
  };
}

type Rng = ReturnType<typeof createRandom>;

const OUR_DOMAIN = 'contoso.com';
const HYBRID_HOST = 'mail.contoso.com';
const HYBRID_IP = '198.51.100.25';
const USERS = [
  'adele.vance',
  'alex.wilber',
  'diego.siciliani',
  'grady.archie',
  'isaiah.langer',
  'johanna.lorenz',
  'lee.gu',
  'lidia.holloway',
  'megan.bowen',
  'nestor.wilke',
  'patti.fernandez',
  'pradeep.gupta',
];
const PARTNERS = [
  { domain: 'fabrikam.com', host: 'mx1.fabrikam.com', ip: '203.0.113.10' },
  { domain: 'tailspintoys.com', host: 'smtp.tailspintoys.com', ip: '203.0.113.20' },
  { domain: 'northwindtraders.com', host: 'mail.northwindtraders.com', ip: '203.0.113.30' },
  { domain: 'gmail.com', host: 'gmail-smtp-in.l.google.com', ip: '74.125.142.27' },
  { domain: 'adatum.com', host: 'adatum-com.mail.protection.outlook.com', ip: '52.101.68.2' },
];
const SUBJECTS = [
  'Quarterly report',
  'Re: invoice 4471',
  'Meeting notes, Tuesday',
  'Fw: "urgent" shipment',
  'Your order has shipped',
  'Contract draft v3',
  'Lunch?',
  'Weekly status, team A',
];
const EOP = 'DM6NAM12FT012.eop-nam12.prod.protection.outlook.com';

export interface ScenarioOptions {
  seed: number;
  /** First message time (ms). Default 2026-11-20T00:00:00Z. */
  start?: number;
  /** Messages per hour on average. */
  perHour?: number;
}

const led = (reply: string, code: string, text: string, tags = '') =>
  `Reason: [{LED=${reply} ${code} ${text}${tags}};{MSG=};{FQDN=};{IP=};{LRT=}]`;

/** An endless, deterministic stream of messages in time order. */
export function* generateMessages(options: ScenarioOptions): Generator<GenMessage> {
  const rng = createRandom(options.seed);
  const start = options.start ?? Date.UTC(2026, 10, 20, 0, 0, 0);
  const perHour = options.perHour ?? 400;
  const gap = HOUR / perHour;
  // The outage: the on-premises firewall refuses Exchange Online from hour 1 to hour 7 of each day.
  const outage = (t: number) => {
    const h = ((t - start) / HOUR) % 24;
    return h >= 1 && h < 7;
  };
  let t = start;
  let exact = start;
  for (let n = 0; ; n++) {
    // Whole seconds: culture date formats have no milliseconds, so every style reads back the same.
    if (gap >= 1000) t += Math.max(1000, Math.round((gap * (0.5 + rng.next())) / 1000) * 1000);
    else {
      // Busier than a message a second (a dense tenant): several messages share a second.
      exact += gap * (0.5 + rng.next());
      t = Math.max(t, Math.floor(exact / 1000) * 1000);
    }
    yield makeMessage(rng, t, n, outage);
  }
}

function makeMessage(rng: Rng, t: number, n: number, outage: (t: number) => boolean): GenMessage {
  const user = `${rng.pick(USERS)}@${OUR_DOMAIN}`;
  const inbound = rng.chance(0.35);
  const toHybrid = !inbound && rng.chance(0.25);
  const partner = rng.pick(PARTNERS);
  const msg: GenMessage = {
    received: t,
    messageId: `<${rng.hex(12)}.${n}@${inbound ? partner.domain : OUR_DOMAIN}>`,
    traceId: `${rng.hex(8)}-${rng.hex(4)}-${rng.hex(4)}-${rng.hex(4)}-${rng.hex(12)}`,
    sender: inbound ? `${rng.pick(['info', 'billing', 'noreply', 'j.smith', 'sales'])}@${partner.domain}` : user,
    subject: rng.pick(SUBJECTS),
    size: rng.int(2_000, 2_000_000),
    direction: inbound ? 'inbound' : 'outbound',
    connector: inbound ? '' : toHybrid ? 'Outbound to on-premises' : '',
    fromIp: inbound ? partner.ip : '10.0.0.5',
    toIp: inbound ? '' : toHybrid ? HYBRID_IP : partner.ip,
    toHost: inbound ? '' : toHybrid ? HYBRID_HOST : partner.host,
    recipients: [],
  };
  const count = rng.chance(0.1) ? rng.int(2, 3) : 1;
  for (let i = 0; i < count; i++) {
    const address = inbound
      ? `${rng.pick(USERS)}@${OUR_DOMAIN}`
      : toHybrid
        ? `${rng.pick(USERS)}@onprem.${OUR_DOMAIN}`
        : `${rng.pick(['info', 'orders', 'ceo', 'a.rossi', 'support'])}@${partner.domain}`;
    msg.recipients.push(recipientHistory(rng, t, inbound, toHybrid, partner, address, outage));
  }
  return msg;
}

function recipientHistory(
  rng: Rng,
  t: number,
  inbound: boolean,
  toHybrid: boolean,
  partner: (typeof PARTNERS)[number],
  address: string,
  outage: (t: number) => boolean,
): GenRecipient {
  const events: GenEvent[] = [
    { time: t, event: 'Receive', detail: `Message received by: ${EOP.replace('FT012', 'MB0' + rng.int(10, 99))}` },
  ];
  const later = (ms: number) => t + ms;
  if (toHybrid && outage(t)) {
    // Retries every ~15-60 minutes while the firewall refuses; after the outage it delivers,
    // unless the message has waited 24 hours by then.
    let at = t + rng.int(5, 60) * 1000;
    while (outage(at) && at - t < 24 * HOUR) {
      events.push({
        time: at,
        event: 'Defer',
        detail: led(
          '450',
          '4.4.316',
          'Connection refused',
          ` [Message=Socket error code 10061] [LastAttemptedServerName=${HYBRID_HOST}] [LastAttemptedIP=${HYBRID_IP}:25] [${EOP} ${new Date(at).toISOString()} 08DB1DF24DB12D84]`,
        ),
      });
      at += rng.int(15, 60) * 60_000;
    }
    if (at - t >= 24 * HOUR || rng.chance(0.12)) {
      events.push({
        time: t + 24 * HOUR + rng.int(1, 600) * 1000,
        event: 'Fail',
        detail: led('550', '5.4.316', 'Message expired, connection refused(Socket error code 10061)'),
      });
      return { address, status: 'Failed', events };
    }
    events.push({
      time: at,
      event: 'Send',
      detail: `The message was sent to ${HYBRID_HOST} (${HYBRID_IP}) over the connector "Outbound to on-premises".`,
    });
    return { address, status: 'Delivered', events };
  }
  if (inbound) {
    const r = rng.next();
    if (r < 0.06) {
      events.push({ time: later(2000), event: 'Deliver', detail: 'The message was delivered to the Junk Email folder. FilteredAsSpam' });
      return { address, status: 'FilteredAsSpam', events };
    }
    if (r < 0.08) {
      events.push({ time: later(2000), event: 'Deliver', detail: 'The message was quarantined. Quarantined' });
      return { address, status: 'Quarantined', events };
    }
    if (r < 0.1) {
      events.push({
        time: later(3000),
        event: 'Fail',
        detail: led('550', '5.1.10', `RESOLVER.ADR.RecipientNotFound; Recipient ${address} not found by SMTP address lookup`),
      });
      return { address, status: 'Failed', events };
    }
    events.push({ time: later(rng.int(1, 9) * 1000), event: 'Deliver', detail: 'The message was successfully delivered.' });
    return { address, status: 'Delivered', events };
  }
  const r = rng.next();
  if (r < 0.02) {
    events.push({
      time: later(4000),
      event: 'Fail',
      detail: led(
        '550',
        '5.1.1',
        `RESOLVER.ADR.ExRecipNotFound; not found [Message=550 5.1.1 <${address}>: Recipient address rejected: User unknown] [LastAttemptedServerName=${partner.host}] [LastAttemptedIP=${partner.ip}:25]`,
      ),
    });
    return { address, status: 'Failed', events };
  }
  if (r < 0.03 && partner.domain === 'gmail.com') {
    events.push({
      time: later(4000),
      event: 'Fail',
      detail: led(
        '550',
        '5.7.26',
        'This mail has been blocked because the sender is unauthenticated. Gmail requires all senders to authenticate with either SPF or DKIM. - gsmtp',
        ` [LastAttemptedServerName=${partner.host}] [LastAttemptedIP=${partner.ip}:25]`,
      ),
    });
    return { address, status: 'Failed', events };
  }
  if (r < 0.04) {
    events.push({
      time: later(5000),
      event: 'Fail',
      detail: led(
        '550',
        '5.2.2',
        'mailbox full; STOREDRV.Deliver.Exception:QuotaExceededException',
        ` [LastAttemptedServerName=${partner.host}]`,
      ),
    });
    return { address, status: 'Failed', events };
  }
  if (r < 0.06 && partner.domain === 'tailspintoys.com') {
    // A partner with an expired certificate: deferrals, then delivery once they renew it.
    events.push({
      time: later(30_000),
      event: 'Defer',
      detail: led(
        '450',
        '4.7.320',
        'Certificate validation failed',
        ` [Message=TlsCertificateExpired] [LastAttemptedServerName=${partner.host}] [LastAttemptedIP=${partner.ip}:25]`,
      ),
    });
    events.push({ time: later(45 * 60_000), event: 'Send', detail: `The message was sent to ${partner.host} (${partner.ip}).` });
    return { address, status: 'Delivered', events };
  }
  if (r < 0.07) {
    events.push({
      time: later(10_000),
      event: 'Defer',
      detail: led(
        '450',
        '4.4.317',
        'Cannot connect to remote server',
        ` [Message=451 4.4.0 TLS negotiation failed with error SocketError] [LastAttemptedServerName=${partner.host}] [LastAttemptedIP=${partner.ip}:25]`,
      ),
    });
    return { address, status: 'Pending', events };
  }
  events.push({ time: later(rng.int(1, 20) * 1000), event: 'Send', detail: `The message was sent to ${partner.host} (${partner.ip}).` });
  return { address, status: 'Delivered', events };
}

/** The scenario's messages as an export taken `hours` after the start shows them, until the first one after that. */
export function* exportedMessages(options: { seed?: number; perHour?: number; start?: number; hours?: number }): Generator<GenMessage> {
  const messages = generateMessages({
    seed: options.seed ?? 1,
    perHour: options.perHour ?? 400,
    ...(options.start !== undefined ? { start: options.start } : {}),
  });
  const cutoff = options.hours === undefined ? Infinity : (options.start ?? Date.UTC(2026, 10, 20)) + options.hours * HOUR;
  for (;;) {
    const msg = snapshot(messages.next().value as GenMessage, cutoff);
    if (!msg) return; // past the moment the export was taken
    yield msg;
  }
}

/** A message as an export taken at `cutoff` shows it (null when it arrived after). */
export function snapshot(m: GenMessage, cutoff: number): GenMessage | null {
  if (cutoff === Infinity) return m;
  if (m.received > cutoff) return null;
  return {
    ...m,
    recipients: m.recipients.map((r) => {
      const events = r.events.filter((e) => e.time <= cutoff);
      const last = events.at(-1)!.event;
      const status = events.length === r.events.length ? r.status : last === 'Defer' || last === 'Receive' ? 'Pending' : r.status;
      return { ...r, events, status };
    }),
  };
}
