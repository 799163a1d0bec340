import { MAX_STATUS_CHARS } from '../formats/field-limits.ts';

/**
 * Reads a raw status text (a trace `Detail`, an extended `recipient_status`, an on-premises
 * `recipient-status`, or an NDR diagnostic line) into its parts. The primary code is the one after
 * `LED=<reply>`; `[Message=…]` is the remote server's own reply, a sub-reason, not the key.
 */
export interface ParsedStatus {
  code: string | null;
  replyCode: string | null;
  /** The reason text that follows the primary code, up to the first bracketed tag. */
  reason: string;
  innerReply: string | null;
  server: string | null;
  ip: string | null;
}

/** The part of a status text that is read (see MAX_STATUS_CHARS). */
export function statusHead(text: string): string {
  return text.length > MAX_STATUS_CHARS ? text.slice(0, MAX_STATUS_CHARS) : text;
}

const LED = /LED=(\d{3})(?:[ -]+([245]\.\d{1,3}\.\d{1,3}))?/;
const REPLY_AND_CODE = /(?<![\d.])([245]\d\d)[ -]+([245]\.\d{1,3}\.\d{1,3})(?![\d])/;
const BARE_CODE = /(?<![\d.])([245]\.\d{1,3}\.\d{1,3})(?!\.?\d)/;
const BARE_REPLY = /^\s*(?:[^']*returned\s*')?([245]\d\d)(?:\s|$)/i;

export function parseStatus(full: string): ParsedStatus {
  const text = statusHead(full);
  let code: string | null = null;
  let replyCode: string | null = null;
  let after = -1;
  const led = LED.exec(text);
  if (led) {
    replyCode = led[1]!;
    code = led[2] ?? null;
    after = led.index + led[0].length;
  }
  if (!code) {
    const m = REPLY_AND_CODE.exec(text) ?? null;
    if (m) {
      replyCode = m[1]!;
      code = m[2]!;
      after = m.index + m[0].length;
    } else {
      const b = BARE_CODE.exec(text);
      if (b) {
        code = b[1]!;
        after = b.index + b[0].length;
      } else if (!replyCode) {
        const r = BARE_REPLY.exec(text);
        if (r) {
          replyCode = r[1]!;
          after = r.index + r[0].length;
        }
      }
    }
  }
  return {
    code,
    replyCode,
    reason: reasonAfter(text, after),
    innerReply: innerReply(text),
    server:
      tag(text, /\[LastAttemptedServerName=/i) ?? brace(text, /\{(?:FQDN|Last attempted server name)=/i) ?? proxyTarget(text, 'HostName'),
    ip: stripPort(tag(text, /\[LastAttemptedIP=/i) ?? brace(text, /\{IP=/i) ?? proxyTarget(text, 'IP')),
  };
}

function reasonAfter(text: string, from: number): string {
  if (from < 0) return text.trim().slice(0, 300);
  let end = text.length;
  for (const stop of [' [', '}', ';{', '\n']) {
    const k = text.indexOf(stop, from);
    if (k >= 0 && k < end) end = k;
  }
  return text.slice(from, end).trim();
}

/** The text inside a `[Key=…]` tag, honouring nested brackets. */
function tag(text: string, open: RegExp): string | null {
  const m = open.exec(text);
  if (!m) return null;
  let depth = 1;
  const start = m.index + m[0].length;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (c === '[') depth++;
    else if (c === ']' && --depth === 0) return clean(text.slice(start, i));
  }
  return clean(text.slice(start));
}

function brace(text: string, open: RegExp): string | null {
  const m = open.exec(text);
  if (!m) return null;
  const start = m.index + m[0].length;
  const end = text.indexOf('}', start);
  return clean(text.slice(start, end < 0 ? undefined : end));
}

/** The proxy's breadcrumbs, inside `{MSG=…}` or after the reason: a brace or bracket ends the name, as a space does. */
const PROXY_TARGET = {
  IP: /OutboundProxyTargetIP:\s*([^\s.;,}\]]+(?:\.[^\s.;,}\]]+)*)/i,
  HostName: /OutboundProxyTargetHostName:\s*([^\s.;,}\]]+(?:\.[^\s.;,}\]]+)*)/i,
};

function proxyTarget(text: string, what: 'IP' | 'HostName'): string | null {
  const m = PROXY_TARGET[what].exec(text);
  return m ? clean(m[1]!) : null;
}

function innerReply(text: string): string | null {
  const msg = tag(text, /\[Message=/i);
  if (msg) return msg;
  // Older layout: `{MSG=Socket error code 10061}`; skip the proxy breadcrumbs EXO puts there.
  const old = brace(text, /\{MSG=/i);
  if (old && !/OutboundProxy/i.test(old) && /[a-z]/i.test(old)) return old;
  // NDR form: `… Message expired, cannot connect to remote server(451 5.7.3 STARTTLS is required …)`.
  const paren = /\((\d{3}[ -][245]\.\d{1,3}\.\d{1,3}[^)]*)\)/.exec(text)?.[1] ?? afterExpired(text);
  return paren && !/^ErrorRetry$/i.test(paren.trim()) ? clean(paren) : null;
}

/** `Message expired, … (reason)`: the first parenthesis after it, found by search (a regex here backtracked quadratically). */
function afterExpired(text: string): string | null {
  const at = text.search(/Message expired,/i);
  if (at < 0) return null;
  const open = text.indexOf('(', at);
  const close = open < 0 ? -1 : text.indexOf(')', open + 1);
  return close > open + 1 ? text.slice(open + 1, close) : null;
}

function clean(v: string): string | null {
  const t = v.trim();
  return t === '' ? null : t;
}

function stripPort(ip: string | null): string | null {
  if (!ip) return null;
  const v4 = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(ip);
  if (v4) return v4[1]!;
  const v6 = /^\[([0-9a-f:]+)\](?::\d+)?$/i.exec(ip);
  return v6 ? v6[1]! : ip;
}
