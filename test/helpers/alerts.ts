import type { Incident } from '../../functions/core/store/incidents.ts';
import type { Notification } from '../../functions/core/ports.ts';
import { utf8 } from './bytes.ts';

/** Exports and a notifier for the alert tests. */

export const LED = (code: string) =>
  `"Reason: [{LED=450 ${code} Connection refused [LastAttemptedServerName=mail.contoso.com]};{MSG=};{FQDN=};{IP=};{LRT=}]"`;
/** A small export: `n` deferrals for distinct messages to one destination, within one hour. */
export function deferrals(file: number, n: number, minute = 10): Uint8Array {
  let text = '"Date","Event","Detail","MessageTraceId","RecipientAddress"\r\n';
  for (let i = 0; i < n; i++)
    text += `"2026-11-20T03:${String((minute + i) % 60).padStart(2, '0')}:00Z","Defer",${LED('4.4.316')},"f${file}-m${i}","u${i}@contoso.com"\r\n`;
  return utf8(text);
}

export function recorder() {
  const sent: Notification[] = [];
  return { sent, notifier: { publish: async (n: Notification) => void sent.push(n) } };
}

/** An open incident of tenant `contoso` opened at 2026-11-20T10:00Z, with what the test sets. */
export function openIncident(fields: Partial<Incident> & Pick<Incident, 'ruleId' | 'group'>): Incident {
  return {
    schema: 1,
    tenant: 'contoso',
    state: 'open',
    episode: 1,
    openedAt: '2026-11-20T10:00:00.000Z',
    baseline: 1,
    lastValue: 1,
    peakValue: 1,
    belowSince: null,
    resolvedAt: null,
    lastNotifiedAt: null,
    notifications: [],
    ...fields,
  };
}
