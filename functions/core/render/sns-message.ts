import type { Notification } from '../ports.ts';
import { asciiSubject, sanitizeBody } from './sanitize.ts';

export interface SnsPublishInput {
  Subject: string;
  Message: string;
  MessageStructure: 'json';
}

/** SNS allows 262,144 bytes for all protocols together; stay well under it. */
export const MESSAGE_BUDGET = 240 * 1024;

/**
 * The `MessageStructure: "json"` payload: plain text for `default` and `email`, a JSON document
 * for `sqs`, `lambda` and `https`. Shortened to the budget with a note that says where the full
 * report is; the machine JSON then keeps its headline fields and says `truncated: true`.
 */
export function buildSnsPublish(n: Notification): SnsPublishInput {
  const subject = asciiSubject(n.subject);
  let text = sanitizeBody(n.text);
  let json: Record<string, unknown> = n.json;
  const render = () => {
    const machine = JSON.stringify(json);
    return JSON.stringify({ default: text, email: text, sqs: machine, lambda: machine, https: machine });
  };
  let message = render();
  if (Buffer.byteLength(message) > MESSAGE_BUDGET) {
    const note = `\n\n[truncated: the full report is ${n.fullReportKey ? `at ${n.fullReportKey}` : 'too large for one message'}]`;
    json = { ...pickHeadline(json), truncated: true, ...(n.fullReportKey ? { fullReportKey: n.fullReportKey } : {}) };
    // The text appears twice (default, email) and JSON-escaped: shrink it until the whole fits.
    let keep = Math.floor(MESSAGE_BUDGET / 3);
    for (;;) {
      text = `${cutUtf8(sanitizeBody(n.text), keep)}${note}`;
      message = render();
      if (Buffer.byteLength(message) <= MESSAGE_BUDGET) break;
      keep = Math.floor(keep * 0.8);
    }
  }
  return { Subject: subject, Message: message, MessageStructure: 'json' };
}

function pickHeadline(json: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(json)) if (v === null || typeof v !== 'object') out[k] = v;
  return out;
}

/** The longest prefix of `text` within `bytes` of UTF-8, cut at a line end when one is near. */
function cutUtf8(text: string, bytes: number): string {
  const buf = Buffer.from(text, 'utf8');
  if (buf.length <= bytes) return text;
  let cut = buf
    .subarray(0, bytes)
    .toString('utf8')
    .replace(/\uFFFD$/, '');
  const nl = cut.lastIndexOf('\n');
  if (nl > cut.length * 0.8) cut = cut.slice(0, nl);
  return cut;
}
