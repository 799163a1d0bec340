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
