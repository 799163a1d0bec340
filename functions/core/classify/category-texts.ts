/**
 * Explanations used when a code is not in the table (or there is no code): one per category,
 * in our own words. They keep `explain` and every alert useful for codes we have never seen.
 */
import type { Text3 } from './codes.ts';
import type { Category } from './types.ts';

export const CATEGORY_TEXTS: Record<Category, { en: Text3; it: Text3 }> = {
  dns: {
    en: [
      'DNS problem',
      'A DNS lookup for the destination failed or returned nothing usable.',
      'Check the MX and A records of the destination domain, or the smart host of the connector.',
    ],
    it: [
      'Problema DNS',
      'Una risoluzione DNS della destinazione è fallita o non ha dato un risultato utilizzabile.',
      'Verificare i record MX e A del dominio di destinazione, o lo smart host del connettore.',
    ],
  },
  'network-timeout': {
    en: ['Network timeout', 'The destination did not answer in time.', 'Check that the destination server is up and reachable on TCP 25.'],
    it: [
      'Timeout di rete',
      'La destinazione non ha risposto in tempo.',
      'Verificare che il server di destinazione sia attivo e raggiungibile sulla porta TCP 25.',
    ],
  },
  'connection-refused': {
    en: [
      'Connection refused',
      'The destination refused the connection.',
      'Check that SMTP is running on the destination and that its firewall accepts the sending IPs.',
    ],
    it: [
      'Connessione rifiutata',
      'La destinazione ha rifiutato la connessione.',
      'Verificare che SMTP sia attivo sulla destinazione e che il firewall accetti gli IP mittenti.',
    ],
  },
  'remote-server': {
    en: [
      'Remote server problem',
      'The receiving server could not take the message; its own reply says more.',
      "Read the reply text; contact the receiving server's administrator if it persists.",
    ],
    it: [
      'Problema del server remoto',
      'Il server ricevente non ha potuto accettare il messaggio; la sua risposta dà dettagli.',
      "Leggere il testo della risposta; contattare l'amministratore del server ricevente se persiste.",
    ],
  },
  'connection-dropped': {
    en: [
      'Connection dropped',
      'The connection was closed during the SMTP conversation.',
      'Check firewalls with SMTP inspection and the stability of the destination server.',
    ],
    it: [
      'Connessione interrotta',
      'La connessione è stata chiusa durante la conversazione SMTP.',
      'Verificare firewall con ispezione SMTP e la stabilità del server di destinazione.',
    ],
  },
  'tls-certificate': {
    en: [
      'TLS or certificate problem',
      'The TLS handshake or the certificate check with the destination failed.',
      'Check the destination certificate (expiry, name, chain) and the TLS settings on both sides.',
    ],
    it: [
      'Problema TLS o di certificato',
      "L'handshake TLS o la verifica del certificato con la destinazione è fallita.",
      'Verificare il certificato della destinazione (scadenza, nome, catena) e le impostazioni TLS dei due lati.',
    ],
  },
  recipient: {
    en: ['Recipient address problem', 'The recipient address is wrong or does not accept mail.', 'Check the address with the recipient.'],
    it: [
      "Problema dell'indirizzo del destinatario",
      "L'indirizzo del destinatario è errato o non accetta posta.",
      "Verificare l'indirizzo con il destinatario.",
    ],
  },
  'mailbox-quota': {
    en: ['Mailbox full', 'The recipient mailbox is over quota.', 'Ask the recipient to free space.'],
    it: ['Cassetta piena', 'La cassetta del destinatario ha superato la quota.', 'Chiedere al destinatario di liberare spazio.'],
  },
  'message-size': {
    en: ['Message too large', 'The message exceeds a size limit.', 'Send a link instead of a large attachment.'],
    it: [
      'Messaggio troppo grande',
      'Il messaggio supera un limite di dimensione.',
      'Inviare un collegamento invece di un allegato grande.',
    ],
  },
  relay: {
    en: [
      'Relay refused',
      'A server refused to relay the message for this sender or domain.',
      'Check connectors, accepted domains and how the sender authenticates.',
    ],
    it: [
      'Inoltro rifiutato',
      'Un server ha rifiutato di inoltrare il messaggio per questo mittente o dominio.',
      'Verificare connettori, domini accettati e come si autentica il mittente.',
    ],
  },
  authentication: {
    en: [
      'Authentication problem',
      'The sender or the sending server did not pass authentication (SMTP AUTH, SPF, DKIM or DMARC).',
      'Check SPF, DKIM and DMARC for the sending domain, or the credentials of the sending client.',
    ],
    it: [
      'Problema di autenticazione',
      "Il mittente o il server mittente non ha superato l'autenticazione (SMTP AUTH, SPF, DKIM o DMARC).",
      'Verificare SPF, DKIM e DMARC del dominio mittente, o le credenziali del client mittente.',
    ],
  },
  'spam-reputation': {
    en: [
      'Spam or reputation block',
      'The message or the sending IP was treated as spam or has a poor reputation.',
      'Check blocklists and the sending accounts; fix the source before asking for delisting.',
    ],
    it: [
      'Blocco per spam o reputazione',
      "Il messaggio o l'IP mittente è stato considerato spam o ha una cattiva reputazione.",
      'Verificare le blocklist e gli account mittenti; risolvere la causa prima di chiedere la rimozione.',
    ],
  },
  policy: {
    en: [
      'Blocked by policy',
      'A rule or policy on the receiving side refused the message.',
      'Read the reply text and check the rule with the administrator who owns it.',
    ],
    it: [
      'Bloccato da una policy',
      'Una regola o policy del lato ricevente ha rifiutato il messaggio.',
      "Leggere il testo della risposta e verificare la regola con l'amministratore che la gestisce.",
    ],
  },
  loop: {
    en: [
      'Mail loop',
      'The message went around between servers too many times.',
      'Check forwarding and connectors that send mail back and forth.',
    ],
    it: [
      'Loop di posta',
      'Il messaggio è passato tra i server troppe volte.',
      'Verificare inoltri e connettori che rimandano la posta avanti e indietro.',
    ],
  },
  throttling: {
    en: ['Throttled', 'A sending or receiving limit was hit.', 'Slow down or spread the sending; look for loops or bulk senders.'],
    it: [
      'Limitazione di velocità',
      'È stato raggiunto un limite di invio o di ricezione.',
      'Rallentare o distribuire gli invii; cercare loop o mittenti massivi.',
    ],
  },
  unknown: {
    en: [
      'Unrecognized status',
      'The status does not carry a code or words we recognize.',
      'Read the full status text in the trace detail; "mailflow explain" shows what could be parsed.',
    ],
    it: [
      'Stato non riconosciuto',
      'Lo stato non contiene un codice o parole che riconosciamo.',
      'Leggere il testo completo dello stato nel dettaglio della traccia; "mailflow explain" mostra ciò che è stato interpretato.',
    ],
  },
};

/** What a category is, as a noun phrase, for the title of a code that is not in the table. */
export const CATEGORY_NOUNS: Record<Category, { en: string; it: string }> = {
  dns: { en: 'DNS problem', it: 'problema DNS' },
  'network-timeout': { en: 'network timeout', it: 'timeout di rete' },
  'connection-refused': { en: 'refused connection', it: 'connessione rifiutata' },
  'remote-server': { en: 'remote server problem', it: 'problema del server remoto' },
  'connection-dropped': { en: 'dropped connection', it: 'connessione interrotta' },
  'tls-certificate': { en: 'TLS or certificate problem', it: 'problema TLS o di certificato' },
  recipient: { en: 'recipient address problem', it: "problema dell'indirizzo del destinatario" },
  'mailbox-quota': { en: 'mailbox or quota problem', it: 'problema di cassetta o di quota' },
  'message-size': { en: 'message size problem', it: 'problema di dimensione del messaggio' },
  relay: { en: 'relay refusal', it: 'rifiuto di inoltro' },
  authentication: { en: 'authentication problem', it: 'problema di autenticazione' },
  'spam-reputation': { en: 'spam or reputation block', it: 'blocco per spam o reputazione' },
  policy: { en: 'policy rejection', it: 'rifiuto per policy' },
  loop: { en: 'mail loop', it: 'loop di posta' },
  throttling: { en: 'rate limit', it: 'limitazione di velocità' },
  unknown: { en: 'unrecognized status', it: 'stato non riconosciuto' },
};
