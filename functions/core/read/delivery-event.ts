import { classifyStatus } from '../classify/classify.ts';
import type { DeliveryEvent } from '../classify/types.ts';
import type { RawEvent } from '../formats/event.ts';

/** An event to refill for every row: a million events, not a million objects. */
export function blankEvent(): DeliveryEvent {
  return {
    time: 0,
    messageKey: '',
    recipient: '',
    recipientDomain: '',
    direction: null,
    event: '',
    statusText: '',
    connector: null,
    outcome: 'other',
    code: null,
    replyCode: null,
    category: null,
    transient: null,
    owner: null,
    innerReply: null,
    server: null,
    ip: null,
    namedTogether: false,
    line: 0,
  };
}

/** Fills `event` from a mapped row whose time is read: its status classified, addresses lower-cased. */
export function fillEvent(event: DeliveryEvent, raw: RawEvent, time: number): DeliveryEvent {
  const c = raw.outcomeHint === 'delivered' || raw.outcomeHint === 'other' ? null : classifyStatus(raw.statusText, raw.outcomeHint);
  const recipient = raw.recipient === '' ? '' : raw.recipient.toLowerCase();
  event.time = time;
  event.messageKey = raw.messageKey;
  event.recipient = recipient;
  event.recipientDomain = domainOf(recipient);
  event.direction = raw.direction;
  event.event = raw.event;
  event.statusText = raw.statusText;
  event.connector = raw.connector;
  event.outcome = c ? c.outcome : raw.outcomeHint;
  event.code = c?.code ?? null;
  event.replyCode = c?.replyCode ?? null;
  event.category = c?.category ?? null;
  event.transient = c?.transient ?? null;
  event.owner = c?.owner ?? null;
  event.innerReply = c?.innerReply ?? null;
  event.server = c?.destination.server ?? raw.server;
  event.ip = c?.destination.ip ?? raw.ip;
  event.namedTogether = c !== null && c.destination.server !== null && c.destination.ip !== null;
  event.line = raw.line;
  return event;
}

function domainOf(address: string): string {
  const at = address.lastIndexOf('@');
  if (at < 0) return '';
  const domain = address.slice(at + 1);
  return domain.endsWith('>') ? domain.slice(0, -1).trim() : domain; // "Name <a@b.com>"
}
