import { CATEGORY_NOUNS, CATEGORY_TEXTS } from './category-texts.ts';
import { BLOCK_LIST, CODE_TABLE, type CodeEntry, type CodeVariant, type Text3 } from './codes.ts';
import { parseStatus, statusHead } from './parse-status.ts';
import type { Category, Classification, Owner } from './types.ts';
import type { Outcome } from '../vocabulary/outcomes.ts';
import type { Lang } from '../vocabulary/language.ts';

/** The refined table row for one status: the entry, or its text-matched variant. */
interface Resolved {
  category: Category;
  transient: boolean;
  owner: Owner;
  expiry: boolean;
  texts: { en: Text3; it: Text3 };
  known: boolean;
}

const EXACT = new Map<string, CodeEntry>();
const RANGES: Array<{ prefix: string; lo: number; hi: number; entry: CodeEntry }> = [];
for (const entry of CODE_TABLE) {
  const range = /^(\d\.\d{1,3}\.)(\d{1,3})-(\d{1,3})$/.exec(entry.code);
  if (range) RANGES.push({ prefix: range[1]!, lo: +range[2]!, hi: +range[3]!, entry });
  else EXACT.set(entry.code, entry);
}

export function lookupCode(code: string): CodeEntry | undefined {
  const hit = EXACT.get(code);
  if (hit) return hit;
  const dot = code.lastIndexOf('.');
  const prefix = code.slice(0, dot + 1);
  const n = +code.slice(dot + 1);
  return RANGES.find((r) => r.prefix === prefix && n >= r.lo && n <= r.hi)?.entry;
}

function resolve(code: string | null, text: string): Resolved {
  const entry = code ? lookupCode(code) : undefined;
  if (entry) {
    let v: CodeVariant | undefined = entry.variants?.find((x) => x.match.test(text));
    if (!v && /^\d\.7\./.test(code!) && BLOCK_LIST.match.test(text)) v = BLOCK_LIST;
    return {
      category: v?.category ?? entry.category,
      transient: v?.transient ?? entry.transient,
      owner: v?.owner ?? entry.owner,
      expiry: v?.expiry ?? entry.expiry ?? false,
      texts: v ?? entry,
      known: true,
    };
  }
  const category = fallbackCategory(code, text);
  const expiry = /message expired|QUEUE\.Expired/i.test(text);
  const transient = code ? code.startsWith('4') : !expiry;
  const texts = CATEGORY_TEXTS[category];
  return {
    category,
    transient,
    owner: category === 'spam-reputation' && BLOCK_LIST.match.test(text) ? 'sender-side' : FALLBACK_OWNER[category],
    expiry,
    // A code outside the table is read by its class: the title says it is a guess.
    texts: code
      ? { en: guessed(texts.en, code, category, transient, 'en'), it: guessed(texts.it, code, category, transient, 'it') }
      : texts,
    known: false,
  };
}

function guessed(texts: Text3, code: string, category: Category, transient: boolean, lang: Lang): Text3 {
  const noun = CATEGORY_NOUNS[category][lang];
  const title =
    lang === 'it'
      ? `Il codice ${code} non è nella tabella: secondo la sua classe, ${noun} (${transient ? 'temporaneo' : 'definitivo'})`
      : `Code ${code} is not in the table: a ${transient ? 'temporary' : 'permanent'} ${noun} by its class`;
  return [title, texts[1], texts[2]];
}

const FALLBACK_OWNER: Record<Category, Owner> = {
  dns: 'our-servers',
  'network-timeout': 'partner',
  'connection-refused': 'partner',
  'remote-server': 'partner',
  'connection-dropped': 'partner',
  'tls-certificate': 'partner',
  recipient: 'recipient-side',
  'mailbox-quota': 'recipient-side',
  'message-size': 'sender-side',
  relay: 'our-servers',
  authentication: 'sender-side',
  'spam-reputation': 'sender-side',
  policy: 'partner',
  loop: 'our-servers',
  throttling: 'sender-side',
  unknown: 'unknown',
};

const KEYWORDS: Array<[RegExp, Category]> = [
  [/dns|nxdomain|non-?existent domain|host not found|no mx/i, 'dns'],
  [/refused|10061/i, 'connection-refused'],
  [/timed? ?out|timeout|10060/i, 'network-timeout'],
  [/closed|reset|dropped|abruptly|10054/i, 'connection-dropped'],
  [/certificate|tls|starttls|ssl/i, 'tls-certificate'],
  [/loop|hop count/i, 'loop'],
  [/relay/i, 'relay'],
  [/spf|dkim|dmarc|authenticat/i, 'authentication'],
  [/spam|blocklist|blacklist|reputation|banned|listed/i, 'spam-reputation'],
  [/quota|mailbox full|storage/i, 'mailbox-quota'],
  [/too large|size limit|exceeds.*size/i, 'message-size'],
  [/rate|too many|throttl|limit/i, 'throttling'],
  [/user unknown|not found|does not exist|no such user|recipient/i, 'recipient'],
  [/policy|rejected|denied|blocked/i, 'policy'],
];

/** Unknown codes fall back by RFC 3463 class and subject, refined by the words in the text. */
function fallbackCategory(code: string | null, text: string): Category {
  const keyword = KEYWORDS.find(([re]) => re.test(text))?.[1];
  if (!code) return keyword ?? 'unknown';
  const [, subject, detail] = code.split('.').map(Number) as [number, number, number];
  switch (subject) {
    case 1:
      return 'recipient';
    case 2:
      return detail === 3 ? 'message-size' : detail === 1 ? 'recipient' : 'mailbox-quota';
    case 3:
      return detail === 4 ? 'message-size' : 'remote-server';
    case 4:
      if (
        keyword === 'dns' ||
        keyword === 'connection-refused' ||
        keyword === 'network-timeout' ||
        keyword === 'connection-dropped' ||
        keyword === 'loop'
      )
        return keyword;
      return detail === 1 || detail === 7 ? 'network-timeout' : 'remote-server';
    case 5:
      return keyword === 'throttling' ? 'throttling' : 'remote-server';
    case 6:
      return 'policy';
    case 7:
      if (
        keyword === 'authentication' ||
        keyword === 'tls-certificate' ||
        keyword === 'relay' ||
        keyword === 'spam-reputation' ||
        keyword === 'throttling'
      )
        return keyword;
      return 'policy';
    default:
      return keyword ?? 'unknown';
  }
}

/**
 * Classifies one status. `eventOutcome` is what the export's event or status word says
 * (`Defer` → deferred, `Fail` → failed …); without it (explain), the code decides.
 */
export function classifyStatus(full: string, eventOutcome?: Outcome): Classification {
  const text = statusHead(full);
  const p = parseStatus(text);
  const destination = { server: p.server, ip: p.ip };
  const base = eventOutcome ?? outcomeFromCode(p.code, p.replyCode, text);
  if (base === 'delivered' || base === 'other') {
    return {
      outcome: base,
      code: p.code,
      replyCode: p.replyCode,
      category: null,
      transient: null,
      owner: null,
      innerReply: p.innerReply,
      destination,
    };
  }
  const r = resolve(p.code, text);
  let outcome: Outcome = base;
  if (base === 'failed' && r.expiry) outcome = 'expired';
  if (base === 'filtered' && !p.code) {
    return {
      outcome,
      code: null,
      replyCode: p.replyCode,
      category: /quarantin/i.test(text) ? 'policy' : /agent|rule/i.test(text) ? 'policy' : 'spam-reputation',
      transient: false,
      owner: 'sender-side',
      innerReply: p.innerReply,
      destination,
    };
  }
  const final = outcome !== 'deferred';
  return {
    outcome,
    code: p.code,
    replyCode: p.replyCode,
    category: r.category,
    transient: final ? false : r.transient,
    owner: r.owner,
    innerReply: p.innerReply,
    destination,
  };
}

/** Without an event: 2.x.x delivered, 4.x.x deferred, 5.x.x failed; expiry forms expired. */
export function outcomeFromCode(code: string | null, replyCode: string | null, text: string): Outcome {
  // The variant decides: "4.4.7 Message delayed" is a delay notice, "550 4.4.7 QUEUE.Expired" the end.
  const entry = code ? lookupCode(code) : undefined;
  const expiry = entry ? resolve(code, text).expiry : /message expired|QUEUE\.Expired/i.test(text);
  if (expiry) return 'expired';
  const cls = code?.[0] ?? replyCode?.[0];
  if (cls === '2') return 'delivered';
  if (cls === '4') return replyCode?.startsWith('5') ? 'failed' : 'deferred';
  if (cls === '5') return 'failed';
  return 'failed';
}

export interface Explanation extends Classification {
  title: string;
  cause: string;
  action: string;
}

/** Everything `mailflow explain` says about a pasted status line or a bare code. */
export function explainStatus(full: string, lang: Lang = 'en'): Explanation {
  const input = statusHead(full);
  const c = classifyStatus(input);
  let texts: Text3;
  if (c.category) texts = resolve(c.code, input).texts[lang];
  else if (c.outcome === 'delivered') texts = lang === 'it' ? DELIVERED_IT : DELIVERED_EN;
  else texts = CATEGORY_TEXTS.unknown[lang];
  // Field order is the `explain --json` contract (README, "mailflow explain"): scripts read it.
  return {
    code: c.code,
    replyCode: c.replyCode,
    outcome: c.outcome,
    category: c.category,
    transient: c.transient,
    owner: c.owner,
    innerReply: c.innerReply,
    destination: c.destination,
    title: texts[0],
    cause: texts[1],
    action: texts[2],
  };
}

const DELIVERED_EN: Text3 = ['Accepted', 'The receiving server accepted the message.', 'Nothing to do.'];
const DELIVERED_IT: Text3 = ['Accettato', 'Il server ricevente ha accettato il messaggio.', 'Nessuna azione necessaria.'];
