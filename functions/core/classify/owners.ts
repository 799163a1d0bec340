import type { Owner } from './types.ts';
import type { Lang } from '../vocabulary/language.ts';

/** Who has to act, in words, for people reading an explanation or an alert. */
export const OWNER_TEXT: Record<Lang, Record<Owner, string>> = {
  en: {
    'our-servers': 'you: your tenant and its settings, your servers, connectors, DNS or certificates',
    partner: 'the receiving organization (partner or remote mail server)',
    'recipient-side': 'the recipient or their mailbox',
    'sender-side': "the sender, or the sending domain's settings",
    microsoft: 'Microsoft (Exchange Online service)',
    unknown: 'unknown',
  },
  it: {
    'our-servers': 'voi: il vostro tenant e le sue impostazioni, i vostri server, connettori, DNS o certificati',
    partner: "l'organizzazione ricevente (partner o server di posta remoto)",
    'recipient-side': 'il destinatario o la sua cassetta',
    'sender-side': 'il mittente, o le impostazioni del dominio mittente',
    microsoft: 'Microsoft (servizio Exchange Online)',
    unknown: 'sconosciuto',
  },
};
