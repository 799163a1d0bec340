/**
 * The code table: data, in one file. Each entry says what an enhanced status code means, which
 * category it falls in, who has to act, and what to do, in English and Italian, in our own words.
 * Sources: Microsoft's NDR reference ("Email non-delivery reports and SMTP errors in Exchange
 * Online") and its mail flow intelligence pages.
 *
 * `code` is exact (`4.4.316`) or a range on the last part (`5.7.606-649`).
 * `variants` refine an entry by the status text (5.2.2 means two different things).
 * `expiry` marks the final form of a retry cycle that ran out of time.
 */
import type { Category, Owner } from './types.ts';

export type Text3 = readonly [title: string, cause: string, action: string];

export interface CodeVariant {
  match: RegExp;
  category?: Category;
  owner?: Owner;
  transient?: boolean;
  expiry?: boolean;
  en: Text3;
  it: Text3;
}

export interface CodeEntry {
  code: string;
  reply?: string;
  category: Category;
  transient: boolean;
  owner: Owner;
  expiry?: boolean;
  en: Text3;
  it: Text3;
  variants?: readonly CodeVariant[];
}

const expired = (code: string, category: Category, what: string, cosa: string): CodeEntry => ({
  code,
  reply: '550',
  category,
  transient: false,
  owner: 'our-servers',
  expiry: true,
  en: [
    `Message expired: ${what}`,
    `Exchange Online retried for about 24 hours and the destination never accepted the message; this is the final form of the ${code.replace('5.', '4.')} deferrals.`,
    `Fix the cause of the ${code.replace('5.', '4.')} deferrals (see "mailflow explain ${code.replace('5.', '4.')}"), then ask the senders to resend: expired messages are not retried again.`,
  ],
  it: [
    `Messaggio scaduto: ${cosa}`,
    `Exchange Online ha ritentato per circa 24 ore senza che la destinazione accettasse il messaggio; è la forma finale dei rinvii ${code.replace('5.', '4.')}.`,
    `Risolvere la causa dei rinvii ${code.replace('5.', '4.')} (vedi "mailflow explain ${code.replace('5.', '4.')}"), poi chiedere ai mittenti di reinviare: i messaggi scaduti non vengono più ritentati.`,
  ],
});

/**
 * A reply that names a block list (Spamhaus, Outlook.com's S3150 …) is about the sending IP's
 * reputation, whatever policy code the receiver chose: it refines every x.7.x code and an unknown one.
 */
export const BLOCK_LIST: CodeVariant = {
  match: /spamhaus|spamcop|barracuda|sorbs|\b(?:DNS)?RBL\b|\bDNSBL\b|block ?list|black ?list|\bS3(?:140|150)\b|listed (?:at|on|in)/i,
  category: 'spam-reputation',
  owner: 'sender-side',
  en: [
    'Sending IP on a block list',
    "The receiving server refused the connection because the sending IP is on a block list (the reply names it). It is the sender's reputation, not the recipient's policy.",
    "Look the IP from the reply up on the list it names. If it is your own server's, fix the cause and ask for delisting; if it is an Exchange Online outbound IP, the list's delisting form or Microsoft support deals with it; Outlook.com's S3140/S3150 go through its sender support form.",
  ],
  it: [
    'IP mittente in una block list',
    "Il server ricevente ha rifiutato la connessione perché l'IP mittente è in una block list (la risposta la nomina). È la reputazione del mittente, non la policy del destinatario.",
    "Cercare l'IP della risposta nella lista nominata. Se è del vostro server, eliminare la causa e chiedere la rimozione; se è un IP in uscita di Exchange Online, se ne occupa il modulo di rimozione della lista o il supporto Microsoft; S3140/S3150 di Outlook.com passano dal suo modulo di supporto mittenti.",
  ],
};

export const CODE_TABLE: readonly CodeEntry[] = [
  // The six connector codes of mail flow intelligence.
  {
    code: '4.4.312',
    reply: '450',
    category: 'dns',
    transient: true,
    owner: 'our-servers',
    en: [
      'DNS query failed',
      'The DNS lookup for the destination (the smart host of a connector, or the MX of the domain) failed or returned nothing usable.',
      "Check the connector's smart host name and the domain's MX records with nslookup or Resolve-DnsName; fix the DNS zone or the connector.",
    ],
    it: [
      'Query DNS non riuscita',
      'La risoluzione DNS della destinazione (lo smart host del connettore o il record MX del dominio) è fallita o non ha dato un risultato utilizzabile.',
      'Verificare il nome dello smart host del connettore e i record MX del dominio con nslookup o Resolve-DnsName; correggere la zona DNS o il connettore.',
    ],
  },
  {
    code: '4.4.315',
    reply: '450',
    category: 'network-timeout',
    transient: true,
    owner: 'our-servers',
    en: [
      'Connection timed out',
      'Exchange Online opened a connection to the destination server and got no answer in time: the server is down, overloaded, or a firewall silently drops port 25.',
      "Check that the destination server is up and that TCP 25 from Exchange Online's IP ranges reaches it (firewall, NAT, ISP blocks).",
    ],
    it: [
      'Connessione scaduta',
      'Exchange Online ha aperto una connessione verso il server di destinazione senza ricevere risposta in tempo: il server è spento, sovraccarico, o un firewall scarta la porta 25.',
      'Verificare che il server di destinazione sia attivo e che la porta TCP 25 sia raggiungibile dagli indirizzi di Exchange Online (firewall, NAT, blocchi del provider).',
    ],
  },
  {
    code: '4.4.316',
    reply: '450',
    category: 'connection-refused',
    transient: true,
    owner: 'our-servers',
    en: [
      'Connection refused',
      "The destination actively refused the connection (socket error 10061): nothing listens on port 25, the service is stopped, or a firewall rejects Exchange Online's addresses.",
      "Start the SMTP service on the destination (on-premises Exchange, a relay, a partner gateway) and allow Exchange Online's IP ranges on TCP 25 in its firewall.",
    ],
    it: [
      'Connessione rifiutata',
      'La destinazione ha rifiutato attivamente la connessione (errore socket 10061): nessun servizio in ascolto sulla porta 25, servizio fermo, o un firewall respinge gli indirizzi di Exchange Online.',
      'Avviare il servizio SMTP sulla destinazione (Exchange locale, relay, gateway del partner) e consentire nel firewall gli intervalli IP di Exchange Online sulla porta TCP 25.',
    ],
  },
  {
    code: '4.4.317',
    reply: '450',
    category: 'remote-server',
    transient: true,
    owner: 'our-servers',
    en: [
      'Cannot connect to remote server',
      'A connection was made but the SMTP session failed: the server answered with a temporary error, required TLS that could not be negotiated, or closed the session. The inner reply says which.',
      "Read the inner reply ([Message=…]); check the destination's SMTP logs, its TLS certificate and settings, and whether it is rejecting Exchange Online's IPs.",
    ],
    it: [
      'Impossibile connettersi al server remoto',
      'La connessione è riuscita ma la sessione SMTP è fallita: il server ha risposto con un errore temporaneo, ha richiesto TLS non negoziabile o ha chiuso la sessione. La risposta interna indica il motivo.',
      'Leggere la risposta interna ([Message=…]); controllare i log SMTP della destinazione, il certificato e le impostazioni TLS, e se respinge gli IP di Exchange Online.',
    ],
  },
  {
    code: '4.4.318',
    reply: '450',
    category: 'connection-dropped',
    transient: true,
    owner: 'our-servers',
    en: [
      'Connection closed abruptly',
      'The destination or something in between closed the connection in the middle of the SMTP conversation: typically a firewall doing SMTP inspection, a crashing service, or an unstable network.',
      "Turn off SMTP inspection/fixup on the firewall in front of the destination, check the server's event log for crashes, and check the network path.",
    ],
    it: [
      'Connessione chiusa improvvisamente',
      'La destinazione, o un apparato intermedio, ha chiuso la connessione durante la conversazione SMTP: di solito un firewall con ispezione SMTP, un servizio che si arresta, o una rete instabile.',
      "Disattivare l'ispezione SMTP sul firewall davanti alla destinazione, controllare il registro eventi del server e il percorso di rete.",
    ],
  },
  {
    code: '4.7.320',
    reply: '450',
    category: 'tls-certificate',
    transient: true,
    owner: 'our-servers',
    en: [
      'Certificate validation failed',
      "The destination's TLS certificate was rejected: expired, issued for another name than the connector expects, or missing its chain.",
      'Renew or replace the certificate on the destination so its subject or SAN matches the name in the connector, and install the full chain.',
    ],
    it: [
      'Convalida del certificato non riuscita',
      'Il certificato TLS della destinazione è stato rifiutato: scaduto, emesso per un nome diverso da quello atteso dal connettore, o senza catena completa.',
      'Rinnovare o sostituire il certificato della destinazione in modo che soggetto o SAN corrispondano al nome nel connettore, e installare la catena completa.',
    ],
  },
  // Their final forms after the retry period.
  expired('5.4.312', 'dns', 'DNS query failed', 'query DNS non riuscita'),
  expired('5.4.315', 'network-timeout', 'connection timed out', 'connessione scaduta'),
  expired('5.4.316', 'connection-refused', 'connection refused', 'connessione rifiutata'),
  expired('5.4.317', 'remote-server', 'cannot connect to remote server', 'impossibile connettersi al server remoto'),
  expired('5.4.318', 'connection-dropped', 'connection closed abruptly', 'connessione chiusa improvvisamente'),
  {
    code: '4.4.7',
    reply: '550',
    category: 'remote-server',
    transient: false,
    owner: 'partner',
    expiry: true,
    en: [
      'Queue expired',
      'The message sat in the queue until its lifetime ran out: the destination never accepted it (down, refusing, or unreachable).',
      'Find the earlier deferrals for this destination to see why; fix the destination or its DNS, then ask the sender to resend.',
    ],
    it: [
      'Coda scaduta',
      'Il messaggio è rimasto in coda finché non è scaduto: la destinazione non lo ha mai accettato (spenta, che rifiuta, o irraggiungibile).',
      'Cercare i rinvii precedenti verso questa destinazione per capire il motivo; correggere la destinazione o il suo DNS, poi far reinviare il messaggio.',
    ],
    variants: [
      {
        // "4.4.7 Message delayed": the delay notice Exchange sends while it still retries.
        match: /^(?!.*(?:expired|QUEUE\.Expired)).*\bdelay/is,
        transient: true,
        expiry: false,
        en: [
          'Delivery delayed (a delay notice, not a failure)',
          'The destination has not accepted the message yet and Exchange keeps retrying; the sender got a delay notice. It becomes a failure only if the queue lifetime runs out.',
          'Look at the deferrals to this destination for the reason (mailflow query --where outcome=deferred); nothing to resend yet.',
        ],
        it: [
          'Consegna ritardata (un avviso di ritardo, non un errore)',
          'La destinazione non ha ancora accettato il messaggio ed Exchange continua a ritentare; il mittente ha ricevuto un avviso di ritardo. Diventa un errore solo se scade la durata della coda.',
          'Cercare il motivo nei rinvii verso questa destinazione (mailflow query --where outcome=deferred); per ora non serve reinviare.',
        ],
      },
    ],
  },
  {
    code: '5.4.300',
    reply: '550',
    category: 'remote-server',
    transient: false,
    owner: 'partner',
    expiry: true,
    en: [
      'Message expired',
      'The destination never responded within the retry period, or the non-delivery report itself could not be delivered.',
      "Check that the destination domain's mail servers are reachable; if it is a partner, contact their mail administrator.",
    ],
    it: [
      'Messaggio scaduto',
      'La destinazione non ha risposto entro il periodo di ritentativi, oppure non è stato possibile recapitare lo stesso rapporto di mancato recapito.',
      'Verificare che i server di posta del dominio di destinazione siano raggiungibili; se è un partner, contattare il suo amministratore di posta.',
    ],
  },
  // Transient (4.x.x) codes seen in traces and on-premises logs.
  {
    code: '4.3.2',
    category: 'remote-server',
    transient: true,
    owner: 'our-servers',
    en: [
      'Service not available',
      'The receiving system is temporarily unable to take the message (service paused or shutting down).',
      'Check the transport service on the receiving server; the message is retried automatically.',
    ],
    it: [
      'Servizio non disponibile',
      'Il sistema ricevente non può accettare il messaggio in questo momento (servizio in pausa o in arresto).',
      'Controllare il servizio di trasporto sul server ricevente; il messaggio viene ritentato automaticamente.',
    ],
    variants: [
      {
        match: /STOREDRV|thread limit/i,
        category: 'throttling',
        owner: 'microsoft',
        en: [
          'Recipient thread limit exceeded',
          "The recipient's mailbox is receiving too many messages at the same moment, so delivery is throttled.",
          'Usually clears by itself; if it persists, look for a loop or a bulk sender hammering that mailbox.',
        ],
        it: [
          'Limite di thread del destinatario superato',
          'La cassetta del destinatario riceve troppi messaggi nello stesso momento e il recapito viene rallentato.',
          'Di solito si risolve da solo; se persiste, cercare un loop o un mittente massivo che colpisce quella cassetta.',
        ],
      },
      {
        match: /QUEUE\.TransportAgent|deleted by (a )?transport agent/i,
        category: 'policy',
        owner: 'our-servers',
        transient: false,
        en: [
          'Message deleted by a transport agent',
          'A transport agent (anti-spam, rule, third-party add-on) dropped the message on purpose.',
          'Check which agent and rule dropped it (agent logs, Get-TransportAgent) and whether that was intended.',
        ],
        it: [
          'Messaggio eliminato da un agente di trasporto',
          'Un agente di trasporto (antispam, regola, componente di terze parti) ha scartato volutamente il messaggio.',
          'Verificare quale agente e quale regola lo hanno scartato (log degli agenti, Get-TransportAgent) e se era voluto.',
        ],
      },
    ],
  },
  {
    code: '4.3.1',
    category: 'remote-server',
    transient: true,
    owner: 'our-servers',
    en: [
      'Insufficient system resources',
      'The receiving Exchange server is under back pressure (disk space, memory or queue size) and refuses new mail for now.',
      'Free disk space on the transport queue volume and check back pressure with Get-ExchangeDiagnosticInfo on that server.',
    ],
    it: [
      'Risorse di sistema insufficienti',
      'Il server Exchange ricevente è in back pressure (spazio disco, memoria o code) e rifiuta temporaneamente nuova posta.',
      'Liberare spazio sul volume delle code di trasporto e verificare lo stato di back pressure con Get-ExchangeDiagnosticInfo su quel server.',
    ],
  },
  {
    code: '4.4.1',
    category: 'network-timeout',
    transient: true,
    owner: 'partner',
    en: [
      'Connection timed out',
      'The sending server could not reach the next hop in time.',
      'Check the destination server and the network path to it on TCP 25.',
    ],
    it: [
      'Connessione scaduta',
      'Il server mittente non è riuscito a raggiungere in tempo il nodo successivo.',
      'Verificare il server di destinazione e il percorso di rete verso la porta TCP 25.',
    ],
  },
  {
    code: '4.4.2',
    category: 'connection-dropped',
    transient: true,
    owner: 'partner',
    en: [
      'Connection dropped',
      'The connection to the next hop was lost during the SMTP conversation.',
      "Check the destination server's stability and any firewall or proxy on the path.",
    ],
    it: [
      'Connessione interrotta',
      'La connessione con il nodo successivo si è interrotta durante la conversazione SMTP.',
      'Verificare la stabilità del server di destinazione e gli eventuali firewall o proxy sul percorso.',
    ],
  },
  {
    code: '4.5.3',
    category: 'throttling',
    transient: true,
    owner: 'sender-side',
    en: [
      'Too many recipients',
      'The message has more recipients for one domain than the server accepts in one transaction; the rest are retried later.',
      'Nothing to do for occasional cases; split very large mailings or use a distribution list.',
    ],
    it: [
      'Troppi destinatari',
      'Il messaggio ha più destinatari per lo stesso dominio di quanti il server ne accetti in una transazione; gli altri vengono ritentati.',
      'Nessuna azione per casi occasionali; suddividere gli invii molto grandi o usare una lista di distribuzione.',
    ],
  },
  {
    code: '4.7.26',
    category: 'authentication',
    transient: true,
    owner: 'sender-side',
    en: [
      'Unauthenticated mail deferred (SPF/DKIM/DMARC)',
      "The receiving server (Gmail uses this code) slows down or defers mail that does not pass the sending domain's authentication: SPF or DKIM, aligned with its DMARC policy.",
      'Make SPF pass for every service that sends as the domain, sign with DKIM, and check the DMARC record; then the deferred mail goes through on retry.',
    ],
    it: [
      'Posta non autenticata rinviata (SPF/DKIM/DMARC)',
      "Il server ricevente (Gmail usa questo codice) rallenta o rinvia la posta che non supera l'autenticazione del dominio mittente: SPF o DKIM, allineati alla sua policy DMARC.",
      'Far superare SPF a ogni servizio che invia per il dominio, firmare con DKIM e verificare il record DMARC; la posta rinviata passa al tentativo successivo.',
    ],
    variants: [
      {
        match: /IPv6/i,
        en: [
          'IPv6 message not authenticated',
          'Mail sent over IPv6 must pass SPF or DKIM; this one passed neither.',
          'Publish an SPF record that includes the sending IPv6 addresses and sign the domain with DKIM.',
        ],
        it: [
          'Messaggio IPv6 non autenticato',
          'La posta inviata via IPv6 deve superare SPF o DKIM; questo messaggio non ha superato nessuno dei due.',
          'Pubblicare un record SPF che includa gli indirizzi IPv6 mittenti e firmare il dominio con DKIM.',
        ],
      },
    ],
  },
  {
    code: '4.7.66',
    reply: '421',
    category: 'tls-certificate',
    transient: true,
    owner: 'sender-side',
    en: [
      'TLS 1.0 and 1.1 refused',
      'Exchange Online accepts SMTP only over TLS 1.2 or later; the sending server, device or application connected with TLS 1.0 or 1.1. The certificate is not the problem.',
      'Enable TLS 1.2 on whatever sends (your on-premises server, a printer or app using SMTP AUTH, or the partner that sends to you), then let it retry.',
    ],
    it: [
      'TLS 1.0 e 1.1 rifiutati',
      "Exchange Online accetta SMTP solo con TLS 1.2 o successivo; il server, dispositivo o applicazione mittente si è collegato con TLS 1.0 o 1.1. Il certificato non c'entra.",
      'Abilitare TLS 1.2 su chi invia (il server locale, una stampante o app con SMTP AUTH, o il partner che vi scrive), poi lasciarlo ritentare.',
    ],
  },
  {
    code: '4.7.500-699',
    reply: '451',
    category: 'spam-reputation',
    transient: true,
    owner: 'sender-side',
    en: [
      'Temporarily throttled (new sending pattern)',
      'Exchange Online is slowing down mail from this IP or tenant while it learns a new sending pattern, or graylisting it.',
      "Keep sending at a steady rate; check the sending IP's reputation and that SPF, DKIM and DMARC pass.",
    ],
    it: [
      'Rallentato temporaneamente (nuovo schema di invio)',
      'Exchange Online sta rallentando la posta da questo IP o tenant mentre apprende un nuovo schema di invio, oppure applica il greylisting.',
      "Continuare a inviare a ritmo costante; verificare la reputazione dell'IP e che SPF, DKIM e DMARC siano superati.",
    ],
  },
  {
    code: '4.7.850-899',
    category: 'spam-reputation',
    transient: true,
    owner: 'sender-side',
    en: [
      'Sending IP temporarily restricted',
      'The sending IP address is temporarily restricted because of its reputation.',
      'Check the IP on blocklists, stop any spam source behind it, and request delisting if needed.',
    ],
    it: [
      'IP mittente temporaneamente limitato',
      "L'indirizzo IP mittente è temporaneamente limitato a causa della sua reputazione.",
      "Verificare l'IP nelle blocklist, fermare eventuali fonti di spam e chiedere la rimozione se necessario.",
    ],
  },
  {
    code: '4.7.5',
    reply: '454',
    category: 'tls-certificate',
    transient: true,
    owner: 'our-servers',
    en: [
      'Certificate validation failure',
      'TLS between on-premises Exchange and Exchange Online failed because a certificate could not be validated.',
      'Check the certificate bound to the hybrid send and receive connectors (expiry, name, chain) and the TlsCertificateName on the connectors.',
    ],
    it: [
      'Errore di convalida del certificato',
      'Il TLS tra Exchange locale ed Exchange Online è fallito perché un certificato non è stato convalidato.',
      'Controllare il certificato associato ai connettori ibridi di invio e ricezione (scadenza, nome, catena) e il TlsCertificateName dei connettori.',
    ],
  },
  {
    code: '4.2.2',
    category: 'mailbox-quota',
    transient: true,
    owner: 'recipient-side',
    en: [
      'Mailbox full (temporary)',
      "The recipient's mailbox is over quota; the message is retried for a while.",
      'Ask the recipient to free space or raise the quota.',
    ],
    it: [
      'Cassetta piena (temporaneo)',
      "La cassetta del destinatario ha superato la quota; il messaggio viene ritentato per un po'.",
      'Chiedere al destinatario di liberare spazio o aumentare la quota.',
    ],
  },
  {
    code: '4.2.1',
    category: 'throttling',
    transient: true,
    owner: 'partner',
    en: [
      'Recipient receiving too fast',
      'The receiving system is rate-limiting mail to this recipient.',
      'Usually clears by itself; reduce bursts to that recipient.',
    ],
    it: [
      'Destinatario riceve troppo velocemente',
      'Il sistema ricevente limita la velocità della posta verso questo destinatario.',
      'Di solito si risolve da solo; ridurre gli invii a raffica verso quel destinatario.',
    ],
  },
  // Permanent (5.x.x) codes: the common Exchange Online NDRs.
  {
    code: '5.0.350',
    category: 'remote-server',
    transient: false,
    owner: 'partner',
    en: [
      "Rejected by the recipient's server",
      'A generic rejection from the remote server; the real reason is in the text that follows the code.',
      "Read the full reply text; if unclear, ask the recipient's mail administrator what their server rejected.",
    ],
    it: [
      'Rifiutato dal server del destinatario',
      'Un rifiuto generico del server remoto; il motivo reale è nel testo che segue il codice.',
      "Leggere tutto il testo della risposta; se non è chiaro, chiedere all'amministratore di posta del destinatario.",
    ],
  },
  {
    code: '5.1.0',
    category: 'recipient',
    transient: false,
    owner: 'sender-side',
    en: [
      'Sender or recipient address rejected',
      'The address could not be resolved, or the sender is denied by the receiving system.',
      'Check the address for typos and, for the sender, that the account and its domain are valid.',
    ],
    it: [
      'Indirizzo del mittente o del destinatario rifiutato',
      "L'indirizzo non è stato risolto, oppure il mittente è rifiutato dal sistema ricevente.",
      "Verificare errori di battitura nell'indirizzo e, per il mittente, che account e dominio siano validi.",
    ],
  },
  {
    code: '5.1.1',
    category: 'recipient',
    transient: false,
    owner: 'recipient-side',
    en: [
      'Recipient address does not exist',
      'The destination has no mailbox with this address (typo, deleted user, stale autocomplete entry).',
      "Correct the address, remove the stale entry from the sender's autocomplete, or recreate the mailbox or alias if it should exist.",
    ],
    it: [
      "L'indirizzo del destinatario non esiste",
      'La destinazione non ha una cassetta con questo indirizzo (errore di battitura, utente eliminato, suggerimento obsoleto).',
      "Correggere l'indirizzo, eliminare il suggerimento obsoleto dal mittente, o ricreare cassetta o alias se deve esistere.",
    ],
  },
  {
    code: '5.1.8',
    category: 'spam-reputation',
    transient: false,
    owner: 'sender-side',
    en: [
      'Sender blocked for sending spam',
      'The sending account was blocked from sending because it sent spam; it may be compromised.',
      'Secure the account (reset password, check MFA and inbox rules), then release it in the Restricted entities page.',
    ],
    it: [
      'Mittente bloccato per invio di spam',
      "L'account mittente è stato bloccato perché ha inviato spam; potrebbe essere compromesso.",
      "Mettere in sicurezza l'account (reimpostare la password, verificare MFA e regole) e sbloccarlo nella pagina Entità con restrizioni.",
    ],
  },
  {
    code: '5.1.10',
    category: 'recipient',
    transient: false,
    owner: 'recipient-side',
    en: [
      'Recipient not found',
      'No recipient with this SMTP address exists in the destination directory.',
      'Correct the address; if it should exist, add the address to the right mailbox or mail user.',
    ],
    it: [
      'Destinatario non trovato',
      'Nella directory di destinazione non esiste alcun destinatario con questo indirizzo SMTP.',
      "Correggere l'indirizzo; se deve esistere, aggiungerlo alla cassetta o all'utente di posta giusto.",
    ],
  },
  {
    code: '5.1.90',
    category: 'throttling',
    transient: false,
    owner: 'sender-side',
    en: [
      'Daily recipient limit reached',
      'The sender went over the number of recipients allowed per day.',
      'Wait for the 24-hour window to pass; use a bulk mail service for mass mailings.',
    ],
    it: [
      'Limite giornaliero di destinatari raggiunto',
      'Il mittente ha superato il numero di destinatari consentito al giorno.',
      'Attendere la fine della finestra di 24 ore; usare un servizio di invio massivo per le campagne.',
    ],
  },
  {
    code: '5.2.1',
    category: 'recipient',
    transient: false,
    owner: 'recipient-side',
    en: [
      'Mailbox disabled',
      "The recipient's mailbox exists but does not accept mail.",
      "Ask the recipient's administrator to enable the mailbox or give a new address.",
    ],
    it: [
      'Cassetta disattivata',
      'La cassetta del destinatario esiste ma non accetta posta.',
      "Chiedere all'amministratore del destinatario di riattivarla o di fornire un nuovo indirizzo.",
    ],
  },
  {
    code: '5.2.2',
    category: 'mailbox-quota',
    transient: false,
    owner: 'recipient-side',
    en: [
      'Mailbox full',
      "The recipient's mailbox is over its size quota.",
      'Ask the recipient to free space, or raise the quota or enable archiving.',
    ],
    it: [
      'Cassetta piena',
      'La cassetta del destinatario ha superato la quota.',
      "Chiedere al destinatario di liberare spazio, oppure aumentare la quota o attivare l'archivio.",
    ],
    variants: [
      {
        match: /submission quota|SubmissionQuota/i,
        category: 'throttling',
        owner: 'sender-side',
        en: [
          'Sending quota exceeded',
          "The sender exceeded Exchange Online's submission limits (messages or recipients in a period).",
          'Wait and resend later; check the account for compromise if the volume is unexpected.',
        ],
        it: [
          'Quota di invio superata',
          'Il mittente ha superato i limiti di invio di Exchange Online (messaggi o destinatari in un periodo).',
          "Attendere e reinviare più tardi; verificare che l'account non sia compromesso se il volume è anomalo.",
        ],
      },
    ],
  },
  {
    code: '5.2.252',
    reply: '554',
    category: 'policy',
    transient: false,
    owner: 'sender-side',
    en: [
      'Send As permission missing',
      'The sender tried to send as another mailbox or address (a shared mailbox, a group, an alias) without the Send As permission for it. The mailbox is not full.',
      'Grant the sender Send As on that mailbox (Add-RecipientPermission, or the mailbox delegation in the admin center), or send from an address the sender owns; permissions can take up to an hour to apply.',
    ],
    it: [
      'Manca il permesso Invia come',
      "Il mittente ha provato a inviare come un'altra cassetta o indirizzo (cassetta condivisa, gruppo, alias) senza il permesso Invia come. La cassetta non è piena.",
      "Concedere al mittente Invia come su quella cassetta (Add-RecipientPermission, o la delega nell'interfaccia di amministrazione), o inviare da un indirizzo del mittente; i permessi possono richiedere fino a un'ora.",
    ],
  },
  {
    code: '5.2.3',
    category: 'message-size',
    transient: false,
    owner: 'sender-side',
    en: [
      'Message too large for the recipient',
      'The message is bigger than the recipient accepts.',
      "Send a link to the file instead of an attachment, or ask for the recipient's size limit to be raised.",
    ],
    it: [
      'Messaggio troppo grande per il destinatario',
      'Il messaggio supera la dimensione accettata dal destinatario.',
      "Inviare un collegamento al file invece dell'allegato, o chiedere di aumentare il limite del destinatario.",
    ],
  },
  {
    code: '5.2.121',
    category: 'throttling',
    transient: false,
    owner: 'recipient-side',
    en: [
      "Recipient's per-hour limit from this sender",
      'The recipient received too many messages from this sender in one hour.',
      'Slow down; look for an automated sender or a loop.',
    ],
    it: [
      'Limite orario del destinatario per questo mittente',
      "Il destinatario ha ricevuto troppi messaggi da questo mittente in un'ora.",
      'Rallentare gli invii; cercare un mittente automatico o un loop.',
    ],
  },
  {
    code: '5.2.122',
    category: 'throttling',
    transient: false,
    owner: 'recipient-side',
    en: [
      "Recipient's per-hour limit from all senders",
      'The recipient received too many messages in one hour from all senders together.',
      'Find out why that mailbox receives so much mail (loop, notification storm).',
    ],
    it: [
      'Limite orario del destinatario da tutti i mittenti',
      "Il destinatario ha ricevuto troppi messaggi in un'ora da tutti i mittenti insieme.",
      'Capire perché quella cassetta riceve tanta posta (loop, raffica di notifiche).',
    ],
  },
  {
    code: '5.3.4',
    category: 'message-size',
    transient: false,
    owner: 'sender-side',
    en: [
      'Message exceeds a fixed size limit',
      'The message is larger than a size limit set on a connector or organization.',
      'Reduce the size or share a link; raise the connector or organization limit if that is policy.',
    ],
    it: [
      'Il messaggio supera un limite fisso di dimensione',
      "Il messaggio supera un limite impostato su un connettore o sull'organizzazione.",
      'Ridurre la dimensione o condividere un collegamento; alzare il limite se la policy lo consente.',
    ],
  },
  {
    code: '5.4.1',
    category: 'recipient',
    transient: false,
    owner: 'recipient-side',
    en: [
      'Recipient address rejected',
      'The recipient domain does not accept this address (Directory-Based Edge Blocking or an unknown mailbox).',
      'Check the address; if the recipient should exist, add it to the directory that the accepting domain uses.',
    ],
    it: [
      'Indirizzo del destinatario rifiutato',
      'Il dominio del destinatario non accetta questo indirizzo (Directory-Based Edge Blocking o cassetta sconosciuta).',
      "Verificare l'indirizzo; se il destinatario deve esistere, aggiungerlo alla directory usata dal dominio.",
    ],
    variants: [
      {
        match: /relay access denied|relay/i,
        category: 'relay',
        owner: 'our-servers',
        en: [
          'Relay access denied',
          'The receiving server does not accept mail for this domain from this sender: the domain is not an accepted domain there, or the connector set-up is wrong.',
          'Check accepted domains and inbound connectors; for Exchange Online, make sure the domain is verified in the tenant.',
        ],
        it: [
          'Inoltro non consentito',
          'Il server ricevente non accetta posta per questo dominio da questo mittente: il dominio non è accettato o i connettori sono configurati male.',
          'Verificare domini accettati e connettori in ingresso; per Exchange Online, che il dominio sia verificato nel tenant.',
        ],
      },
    ],
  },
  {
    code: '5.4.4',
    category: 'dns',
    transient: false,
    owner: 'recipient-side',
    en: [
      'Destination domain not found',
      'DNS says the recipient domain does not exist or has no usable MX (SMTPSEND.DNS.NonExistentDomain).',
      'Check the domain for typos; if it is correct, its owner must fix the MX records.',
    ],
    it: [
      'Dominio di destinazione inesistente',
      'Il DNS indica che il dominio del destinatario non esiste o non ha un MX utilizzabile (SMTPSEND.DNS.NonExistentDomain).',
      'Verificare errori nel dominio; se è corretto, il proprietario deve sistemare i record MX.',
    ],
  },
  {
    code: '5.4.6',
    reply: '554',
    category: 'loop',
    transient: false,
    owner: 'our-servers',
    en: [
      'Mail loop detected',
      'The message bounced between servers until the hop count ran out: forwarding or connectors point at each other.',
      'Check forwarding rules, contacts with external addresses, and connector or MX records that send the domain back to itself.',
    ],
    it: [
      'Loop di posta rilevato',
      "Il messaggio è rimbalzato tra server fino a esaurire il numero di passaggi: inoltri o connettori puntano l'uno all'altro.",
      'Controllare regole di inoltro, contatti con indirizzi esterni, e connettori o record MX che rimandano il dominio a se stesso.',
    ],
  },
  {
    code: '5.4.14',
    category: 'loop',
    transient: false,
    owner: 'our-servers',
    en: [
      'Hop count exceeded',
      'The message passed through too many servers: a routing loop in Exchange Online or between it and on-premises.',
      'Check the domain type (authoritative vs internal relay), forwarding, and hybrid connectors for a loop.',
    ],
    it: [
      'Numero di passaggi superato',
      "Il messaggio è passato per troppi server: un loop di instradamento in Exchange Online o tra questo e l'ambiente locale.",
      'Verificare il tipo di dominio (autorevole o relay interno), gli inoltri e i connettori ibridi.',
    ],
  },
  {
    code: '5.5.0',
    category: 'recipient',
    transient: false,
    owner: 'recipient-side',
    en: [
      'Mailbox unavailable',
      'The receiving server (often outlook.com or hotmail.com) says the mailbox is unavailable.',
      'Check the address; if correct, the recipient must contact their provider.',
    ],
    it: [
      'Cassetta non disponibile',
      'Il server ricevente (spesso outlook.com o hotmail.com) dichiara la cassetta non disponibile.',
      "Verificare l'indirizzo; se è corretto, il destinatario deve contattare il proprio provider.",
    ],
  },
  {
    code: '5.6.11',
    category: 'policy',
    transient: false,
    owner: 'sender-side',
    en: [
      'Invalid characters in the message',
      'The message contains bare line feeds or other characters the receiving server rejects.',
      'Fix the sending application or device so it sends CRLF line endings.',
    ],
    it: [
      'Caratteri non validi nel messaggio',
      'Il messaggio contiene line feed isolati o altri caratteri rifiutati dal server ricevente.',
      "Correggere l'applicazione o il dispositivo mittente perché usi terminatori CRLF.",
    ],
  },
  {
    code: '5.7.1',
    category: 'policy',
    transient: false,
    owner: 'partner',
    en: [
      "Not authorized by the recipient's policy",
      'The receiving side does not allow this sender to send to this recipient (restricted group, mail flow rule, or a block).',
      "Read the text after the code; ask the recipient's administrator to allow the sender if it is legitimate.",
    ],
    it: [
      'Non autorizzato dalla policy del destinatario',
      'Il lato ricevente non consente a questo mittente di scrivere a questo destinatario (gruppo riservato, regola di flusso, o un blocco).',
      "Leggere il testo dopo il codice; chiedere all'amministratore del destinatario di consentire il mittente se legittimo.",
    ],
    variants: [
      {
        match: /unable to relay|relay (access )?denied|relaying/i,
        category: 'relay',
        owner: 'our-servers',
        en: [
          'Unable to relay',
          'The server refused to relay for this sender: it is not authenticated and not on an allowed connector or IP.',
          'Authenticate the sending device or app, or add its IP to a receive/inbound connector that allows relay.',
        ],
        it: [
          'Inoltro non consentito',
          'Il server ha rifiutato di inoltrare per questo mittente: non è autenticato né su un connettore o IP autorizzato.',
          "Autenticare il dispositivo o l'app mittente, o aggiungere il suo IP a un connettore in ingresso che consenta l'inoltro.",
        ],
      },
      {
        match: /TRANSPORT\.RULES|organization policy|mail flow rule/i,
        category: 'policy',
        owner: 'our-servers',
        en: [
          'Rejected by a mail flow rule',
          'A transport (mail flow) rule in the organization rejected the message.',
          'Find the rule in the message trace details and check whether it should apply to this message.',
        ],
        it: [
          'Rifiutato da una regola di flusso di posta',
          "Una regola di trasporto dell'organizzazione ha rifiutato il messaggio.",
          'Individuare la regola nei dettagli della traccia e verificare se deve applicarsi a questo messaggio.',
        ],
      },
      {
        match: /not authenticated|authentication required|client was not authenticated/i,
        category: 'authentication',
        owner: 'sender-side',
        en: [
          'Sender not authenticated',
          'The receiving server requires authentication that the sender did not provide.',
          'Configure the sending client or device to authenticate (or use a connector that trusts its IP).',
        ],
        it: [
          'Mittente non autenticato',
          "Il server ricevente richiede un'autenticazione che il mittente non ha fornito.",
          "Configurare client o dispositivo mittente per autenticarsi (o usare un connettore che ne consideri attendibile l'IP).",
        ],
      },
    ],
  },
  {
    code: '5.7.3',
    category: 'authentication',
    transient: false,
    owner: 'our-servers',
    en: [
      'Exchange Server authentication failed',
      'Two Exchange servers (often on-premises and Exchange Online in a hybrid) could not authenticate each other.',
      "Check the hybrid connectors' certificates and TLS settings, and rerun the Hybrid Configuration Wizard if they drifted.",
    ],
    it: [
      'Autenticazione tra server Exchange non riuscita',
      'Due server Exchange (spesso locale ed Exchange Online in un ambiente ibrido) non sono riusciti ad autenticarsi.',
      'Controllare certificati e impostazioni TLS dei connettori ibridi e rieseguire la Configurazione guidata ibrida se sono cambiati.',
    ],
  },
  {
    code: '5.7.12',
    category: 'policy',
    transient: false,
    owner: 'sender-side',
    en: [
      'Sender not authenticated by the organization',
      'The recipient only accepts mail from authenticated (internal) senders, and this sender is external.',
      "Ask the recipient's owner to allow external senders, if appropriate.",
    ],
    it: [
      "Mittente non autenticato dall'organizzazione",
      'Il destinatario accetta solo posta da mittenti autenticati (interni) e questo mittente è esterno.',
      'Chiedere al responsabile del destinatario di consentire mittenti esterni, se opportuno.',
    ],
  },
  {
    code: '5.7.13',
    category: 'policy',
    transient: false,
    owner: 'sender-side',
    en: [
      'Sender not allowed to send to this public folder',
      'The public folder does not give this sender permission to create items.',
      'Ask the folder owner to grant the sender permission.',
    ],
    it: [
      'Mittente non autorizzato per questa cartella pubblica',
      'La cartella pubblica non concede a questo mittente il permesso di creare elementi.',
      'Chiedere al proprietario della cartella di concedere il permesso.',
    ],
  },
  {
    code: '5.7.23',
    category: 'authentication',
    transient: false,
    owner: 'sender-side',
    en: [
      'SPF check failed',
      "The destination rejected the message because the sending IP is not allowed by the sender domain's SPF record.",
      "Add the sending service's IPs or include to the domain's SPF record.",
    ],
    it: [
      'Controllo SPF non superato',
      "La destinazione ha rifiutato il messaggio perché l'IP mittente non è autorizzato dal record SPF del dominio.",
      "Aggiungere gli IP o l'include del servizio mittente al record SPF del dominio.",
    ],
  },
  {
    code: '5.7.25',
    category: 'dns',
    transient: false,
    owner: 'sender-side',
    en: [
      'IPv6 sender has no reverse DNS',
      'Mail over IPv6 is refused when the sending address has no PTR record.',
      'Publish a PTR record for the sending IPv6 address, or send over IPv4.',
    ],
    it: [
      'Mittente IPv6 senza DNS inverso',
      "La posta via IPv6 viene rifiutata se l'indirizzo mittente non ha un record PTR.",
      "Pubblicare un record PTR per l'indirizzo IPv6 mittente, o inviare via IPv4.",
    ],
  },
  {
    code: '5.7.26',
    reply: '550',
    category: 'authentication',
    transient: false,
    owner: 'sender-side',
    en: [
      'Sender not authenticated (SPF/DKIM/DMARC)',
      "The destination (for example Gmail) rejected the message because it fails the sender domain's authentication: SPF, DKIM or DMARC.",
      'Make SPF pass for all sending services, enable DKIM signing for the domain, and align DMARC.',
    ],
    it: [
      'Mittente non autenticato (SPF/DKIM/DMARC)',
      "La destinazione (per esempio Gmail) ha rifiutato il messaggio perché non supera l'autenticazione del dominio mittente: SPF, DKIM o DMARC.",
      'Far superare SPF a tutti i servizi mittenti, attivare la firma DKIM per il dominio e allineare DMARC.',
    ],
  },
  {
    code: '5.7.57',
    category: 'authentication',
    transient: false,
    owner: 'sender-side',
    en: [
      'Client not authenticated to send',
      'A device or application tried to send through smtp.office365.com without authenticating.',
      'Configure SMTP AUTH with valid credentials, or use a connector-based relay for the device.',
    ],
    it: [
      "Client non autenticato per l'invio",
      "Un dispositivo o un'applicazione ha provato a inviare tramite smtp.office365.com senza autenticarsi.",
      'Configurare SMTP AUTH con credenziali valide, o usare un inoltro basato su connettore per il dispositivo.',
    ],
  },
  {
    code: '5.7.64',
    category: 'relay',
    transient: false,
    owner: 'our-servers',
    en: [
      'Relay denied: tenant attribution failed',
      'Exchange Online could not match the sending server to an inbound connector of the tenant (TenantAttribution).',
      'Check the inbound connector: its certificate name or IP ranges must match the server that relays the mail.',
    ],
    it: [
      'Inoltro negato: attribuzione del tenant non riuscita',
      'Exchange Online non ha associato il server mittente a un connettore in ingresso del tenant (TenantAttribution).',
      'Verificare il connettore in ingresso: nome del certificato o intervalli IP devono corrispondere al server che inoltra.',
    ],
  },
  {
    code: '5.7.124',
    category: 'policy',
    transient: false,
    owner: 'sender-side',
    en: [
      'Sender not allowed to send to this group',
      'The group only accepts mail from listed senders or members.',
      'Ask the group owner to add the sender to the allowed senders.',
    ],
    it: [
      'Mittente non autorizzato per questo gruppo',
      'Il gruppo accetta posta solo da mittenti elencati o dai membri.',
      'Chiedere al proprietario del gruppo di aggiungere il mittente a quelli consentiti.',
    ],
  },
  {
    code: '5.7.133-136',
    category: 'policy',
    transient: false,
    owner: 'sender-side',
    en: [
      'Sender not authenticated for this recipient',
      'The group, mailbox, public folder or mail user only accepts mail from authenticated senders.',
      "Ask the recipient's owner to allow external senders, or send from an internal account.",
    ],
    it: [
      'Mittente non autenticato per questo destinatario',
      'Gruppo, cassetta, cartella pubblica o utente di posta accettano solo mittenti autenticati.',
      'Chiedere al responsabile di consentire mittenti esterni, o inviare da un account interno.',
    ],
  },
  {
    code: '5.7.321',
    category: 'tls-certificate',
    transient: false,
    owner: 'partner',
    en: [
      'DANE: STARTTLS not supported',
      'The destination publishes DANE records but does not offer STARTTLS.',
      "The destination's administrator must enable STARTTLS or remove the TLSA records.",
    ],
    it: [
      'DANE: STARTTLS non supportato',
      'La destinazione pubblica record DANE ma non offre STARTTLS.',
      "L'amministratore della destinazione deve attivare STARTTLS o rimuovere i record TLSA.",
    ],
  },
  {
    code: '5.7.322',
    category: 'tls-certificate',
    transient: false,
    owner: 'partner',
    en: [
      'DANE: certificate expired',
      "The destination's certificate has expired, so DANE validation fails.",
      "The destination's administrator must renew the certificate and update the TLSA records.",
    ],
    it: [
      'DANE: certificato scaduto',
      'Il certificato della destinazione è scaduto e la convalida DANE fallisce.',
      "L'amministratore della destinazione deve rinnovare il certificato e aggiornare i record TLSA.",
    ],
  },
  {
    code: '5.7.323',
    category: 'tls-certificate',
    transient: false,
    owner: 'partner',
    en: [
      'DANE: TLSA record invalid',
      "The destination's certificate does not match any of its published TLSA records.",
      "The destination's administrator must publish TLSA records that match the certificate in use.",
    ],
    it: [
      'DANE: record TLSA non valido',
      'Il certificato della destinazione non corrisponde ad alcun record TLSA pubblicato.',
      "L'amministratore della destinazione deve pubblicare record TLSA corrispondenti al certificato in uso.",
    ],
  },
  {
    code: '5.7.324',
    category: 'dns',
    transient: false,
    owner: 'partner',
    en: [
      'DNSSEC validation failed',
      "The destination domain's DNSSEC records are invalid.",
      "The destination domain's owner must fix DNSSEC signing.",
    ],
    it: [
      'Convalida DNSSEC non riuscita',
      'I record DNSSEC del dominio di destinazione non sono validi.',
      'Il proprietario del dominio di destinazione deve correggere la firma DNSSEC.',
    ],
  },
  {
    code: '5.7.501-503',
    category: 'spam-reputation',
    transient: false,
    owner: 'sender-side',
    en: [
      'Sender banned for spam or abuse',
      'Exchange Online detected spam or abuse from this sender or tenant and blocked it.',
      'Investigate the sending accounts for compromise, stop the spam, then contact Microsoft support to be unblocked.',
    ],
    it: [
      'Mittente bloccato per spam o abuso',
      'Exchange Online ha rilevato spam o abusi da questo mittente o tenant e lo ha bloccato.',
      'Verificare se gli account mittenti sono compromessi, fermare lo spam, poi contattare il supporto Microsoft per lo sblocco.',
    ],
  },
  {
    code: '5.7.509',
    category: 'authentication',
    transient: false,
    owner: 'sender-side',
    en: [
      'Sending domain fails DMARC',
      "The sender's domain has a DMARC reject policy and the message failed it.",
      'Align SPF and DKIM with the From domain for every service that sends as that domain.',
    ],
    it: [
      'Il dominio mittente non supera DMARC',
      'Il dominio del mittente ha una policy DMARC di rifiuto e il messaggio non la supera.',
      'Allineare SPF e DKIM al dominio del campo From per ogni servizio che invia con quel dominio.',
    ],
  },
  {
    code: '5.7.511',
    category: 'spam-reputation',
    transient: false,
    owner: 'sender-side',
    en: [
      'Sending IP banned',
      'The sending IP address is banned by Exchange Online.',
      'Use the delist portal for the IP after stopping the source of abuse.',
    ],
    it: [
      'IP mittente bloccato',
      "L'indirizzo IP mittente è bloccato da Exchange Online.",
      "Richiedere la rimozione dell'IP tramite il portale di delist dopo aver fermato la fonte di abuso.",
    ],
  },
  {
    code: '5.7.513',
    category: 'policy',
    transient: false,
    owner: 'partner',
    en: [
      "Blocked by the recipient's IP block list",
      'The recipient organization blocks the sending IP in its own connection filter.',
      "Ask the recipient's administrator to remove the IP from their block list.",
    ],
    it: [
      'Bloccato dalla lista IP del destinatario',
      "L'organizzazione del destinatario blocca l'IP mittente nel proprio filtro di connessione.",
      "Chiedere all'amministratore del destinatario di rimuovere l'IP dalla sua lista di blocco.",
    ],
  },
  {
    code: '5.7.606-649',
    category: 'spam-reputation',
    transient: false,
    owner: 'sender-side',
    en: [
      'Sending IP banned',
      'Exchange Online has banned the sending IP for its reputation.',
      'Stop the source of bad mail and request delisting for the IP.',
    ],
    it: [
      'IP mittente bloccato',
      "Exchange Online ha bloccato l'IP mittente per la sua reputazione.",
      "Fermare la fonte di posta indesiderata e richiedere la rimozione dell'IP.",
    ],
  },
  {
    code: '5.7.700-749',
    category: 'spam-reputation',
    transient: false,
    owner: 'sender-side',
    en: [
      'Tenant blocked from sending',
      'The tenant exceeded its sending thresholds or sends from unregistered domains, so Exchange Online stopped its outbound mail.',
      'Verify all sending domains in the tenant, look for compromised accounts, and contact Microsoft support.',
    ],
    it: [
      "Tenant bloccato nell'invio",
      'Il tenant ha superato le soglie di invio o invia da domini non registrati, ed Exchange Online ha fermato la posta in uscita.',
      'Verificare tutti i domini mittenti nel tenant, cercare account compromessi e contattare il supporto Microsoft.',
    ],
  },
  {
    code: '5.7.750',
    category: 'spam-reputation',
    transient: false,
    owner: 'sender-side',
    en: [
      'Unregistered domain sending blocked',
      'The tenant sent too much mail from domains it has not added and verified.',
      'Add and verify every domain you send from in the tenant.',
    ],
    it: [
      'Invio da domini non registrati bloccato',
      'Il tenant ha inviato troppa posta da domini non aggiunti e verificati.',
      'Aggiungere e verificare nel tenant ogni dominio usato per inviare.',
    ],
  },
  {
    code: '5.7.139',
    reply: '535',
    category: 'authentication',
    transient: false,
    owner: 'our-servers',
    en: [
      'SMTP AUTH refused by your tenant',
      'A device or application tried to submit mail with SMTP AUTH (smtp.office365.com) and your tenant refused it: SMTP AUTH is turned off for the tenant or the mailbox, or security defaults or a sign-in policy block it. SPF, DKIM and DMARC are not involved.',
      'Turn SMTP AUTH on for that mailbox only (Set-CASMailbox -SmtpClientAuthenticationDisabled $false) where your security policy allows it, or move the device to OAuth, or relay it through a connector.',
    ],
    it: [
      'SMTP AUTH rifiutato dal vostro tenant',
      "Un dispositivo o applicazione ha provato a inviare con SMTP AUTH (smtp.office365.com) e il vostro tenant l'ha rifiutato: SMTP AUTH è disattivato per il tenant o la cassetta, o lo bloccano le impostazioni di sicurezza predefinite o un criterio di accesso. SPF, DKIM e DMARC non c'entrano.",
      'Attivare SMTP AUTH solo per quella cassetta (Set-CASMailbox -SmtpClientAuthenticationDisabled $false) se la vostra policy di sicurezza lo consente, o passare il dispositivo a OAuth, o inoltrarlo tramite un connettore.',
    ],
  },
  {
    code: '5.7.232',
    reply: '550',
    category: 'throttling',
    transient: false,
    owner: 'our-servers',
    en: [
      "Trial tenant's daily limit of external recipients reached",
      'A trial tenant may send to only a small number of external recipients a day; your tenant passed it, so Exchange Online refuses external mail until the rolling 24 hours allow it again.',
      'Wait for the limit to reset, or convert the trial to a paid subscription; Get-LimitsEnforcementStatus shows the current count and threshold.',
    ],
    it: [
      'Raggiunto il limite giornaliero di destinatari esterni del tenant di prova',
      'Un tenant di prova può scrivere solo a pochi destinatari esterni al giorno; il vostro tenant lo ha superato, quindi Exchange Online rifiuta la posta esterna finché le 24 ore mobili non lo consentono di nuovo.',
      "Attendere l'azzeramento del limite, o convertire la prova in un abbonamento; Get-LimitsEnforcementStatus mostra il conteggio attuale e la soglia.",
    ],
  },
  {
    code: '5.7.233',
    reply: '550',
    category: 'throttling',
    transient: false,
    owner: 'our-servers',
    en: [
      "Tenant's daily limit of external recipients reached (TERRL)",
      'Your whole tenant sent to more external recipients in 24 hours than its tenant external recipient rate limit allows (it grows with the licences); until the rolling window allows it again, external mail is refused for every sender, not only the busy one.',
      'Find who sends most to external recipients (a compromised account, a bulk job) and stop or move that mail to a bulk sending service; Get-LimitsEnforcementStatus shows the count and the threshold.',
    ],
    it: [
      'Raggiunto il limite giornaliero di destinatari esterni del tenant (TERRL)',
      "L'intero tenant ha scritto a più destinatari esterni in 24 ore di quanti ne consenta il suo limite (cresce con le licenze); finché la finestra mobile non lo consente di nuovo, la posta esterna è rifiutata per ogni mittente, non solo per quello più attivo.",
      'Individuare chi scrive di più a destinatari esterni (un account compromesso, un invio massivo) e fermarlo o spostare quella posta su un servizio di invio massivo; Get-LimitsEnforcementStatus mostra conteggio e soglia.',
    ],
  },
  {
    code: '5.7.520',
    reply: '550',
    category: 'policy',
    transient: false,
    owner: 'our-servers',
    en: [
      'External forwarding blocked by your outbound policy',
      "The text says your organization does not allow external forwarding: your own tenant's outbound spam policy stopped a message that a mailbox forwards automatically (a forwarding address or an inbox rule) to an outside address. The receiving organization did nothing.",
      'If the forwarding is wanted, allow it for those mailboxes in the outbound spam filter policy (automatic forwarding: On) or a remote domain; if nobody set it up, remove the rule and check the account for compromise.',
    ],
    it: [
      'Inoltro esterno bloccato dalla vostra policy in uscita',
      "Il testo dice che la vostra organizzazione non consente l'inoltro esterno: la policy antispam in uscita del vostro tenant ha fermato un messaggio che una cassetta inoltra automaticamente (indirizzo di inoltro o regola) a un indirizzo esterno. L'organizzazione ricevente non c'entra.",
      "Se l'inoltro è voluto, consentirlo per quelle cassette nella policy antispam in uscita (inoltro automatico: attivo) o in un dominio remoto; se nessuno l'ha impostato, rimuovere la regola e verificare che l'account non sia compromesso.",
    ],
  },
  {
    code: '5.7.900-999',
    category: 'policy',
    transient: false,
    owner: 'our-servers',
    en: [
      'Rejected by a custom mail flow rule',
      'An organization rule rejected the message with its own custom code.',
      'Find the rule by its code and check whether it should have matched.',
    ],
    it: [
      'Rifiutato da una regola personalizzata',
      "Una regola dell'organizzazione ha rifiutato il messaggio con un proprio codice.",
      'Individuare la regola tramite il codice e verificare se doveva applicarsi.',
    ],
  },
];
