import { describe, expect, it } from 'vitest';
import { classifyStatus, explainStatus, lookupCode } from '../../functions/core/classify/classify.ts';
import { CODE_TABLE } from '../../functions/core/classify/codes.ts';
import { CATEGORIES, OWNERS } from '../../functions/core/classify/types.ts';
import type { Outcome } from '../../functions/core/vocabulary/outcomes.ts';

type Row = [text: string, event: Outcome | undefined, code: string | null, outcome: Outcome, category: string | null];

// The first ten are verbatim from real exports (as Microsoft's documentation and admins' posts show them); the rest are real-looking variants.
const TABLE: Row[] = [
  [
    'Reason: [{LED=450 4.4.317 Cannot connect to remote server [Message=451 4.4.0 TLS negotiation failed with error SocketError] [LastAttemptedServerName=xxx] [LastAttemptedIP=xxx] [SmtpSecurity=-2;-2] [DM6NAM12FT012.eop-nam12.prod.protection.outlook.com 2023-03-07T18:46:06.378Z 08DB1DF24DB12D84]};{MSG=4. OutboundProxyTargetIP: xxx. OutboundProxyTargetHostName: xxx',
    'deferred',
    '4.4.317',
    'deferred',
    'remote-server',
  ],
  [
    'Reason: [{LED=450 4.4.316 Connection refused [Message=Socket error code 10061].',
    'deferred',
    '4.4.316',
    'deferred',
    'connection-refused',
  ],
  [
    "'[{LED=450 4.4.316 Connection refused};{MSG=Socket error code 10061};{Last attempted server name=Hybrid.ourdomain.com}",
    'deferred',
    '4.4.316',
    'deferred',
    'connection-refused',
  ],
  [
    '[{LED=550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient ******@xxx.com not found by SMTP address lookup};{MSG=};{FQDN=};{IP=};{LRT=}]',
    'failed',
    '5.1.10',
    'failed',
    'recipient',
  ],
  [
    '{[{LED=550 5.7.1 TRANSPORT.RULES.RejectMessage; the message was rejected by organization policy};{MSG=};{FQDN=};{IP=};{LRT=}]}',
    'failed',
    '5.7.1',
    'failed',
    'policy',
  ],
  [
    '{[{LED=550 4.3.2 QUEUE.TransportAgent; message deleted by transport agent};{MSG=};{FQDN=};{IP=};{LRT=}]}',
    'filtered',
    '4.3.2',
    'filtered',
    'policy',
  ],
  [
    "Remote server returned '450 4.4.312 DNS query failed [Message=ErrorRetry] [LastAttemptedServerName=example.com] [AM5EUR03FT022.eop-EUR03.prod.protection.outlook.com](ErrorRetry)'",
    undefined,
    '4.4.312',
    'deferred',
    'dns',
  ],
  ["Remote server returned '550 5.4.312 Message expired, DNS query failed(ErrorRetry)'", undefined, '5.4.312', 'expired', 'dns'],
  [
    "'450 4.4.317 Cannot connect to remote server [Message=451 5.7.3 STARTTLS is required to send mail] [LastAttemptedServerName=mail.example.com] [LastAttemptedIP=50.251.172.148:25] [AM5EUR03FT022.eop-EUR03.prod.protection.outlook.com]'",
    undefined,
    '4.4.317',
    'deferred',
    'remote-server',
  ],
  [
    "'550 5.4.317 Message expired, cannot connect to remote server(451 5.7.3 STARTTLS is required to send mail)'",
    undefined,
    '5.4.317',
    'expired',
    'remote-server',
  ],
  [
    '450 4.4.317 Cannot establish session with remote server [Message=Failed to connect. Winsock error code: 995, Win32 error code: 995.]',
    undefined,
    '4.4.317',
    'deferred',
    'remote-server',
  ],
  [
    'LED=550-5.7.26 Your email has been blocked because the sender is unauthenticated.\n 550-5.7.26 Gmail requires all senders to authenticate with either SPF or DKIM.\n 550 5.7.26 Learn more - gsmtp};{MSG=};{FQDN=gmail-smtp-in.l.google.com};{IP=74.125.142.27};{LRT=12/03/2025 19:50:43}]',
    'failed',
    '5.7.26',
    'failed',
    'authentication',
  ],
  ['550 4.4.7 QUEUE.Expired; message expired', 'failed', '4.4.7', 'expired', 'remote-server'],
  [
    'Reason: [{LED=450 4.4.315 Connection timed out [LastAttemptedServerName=mail.contoso.com]};{MSG=};{FQDN=};{IP=};{LRT=}]',
    'deferred',
    '4.4.315',
    'deferred',
    'network-timeout',
  ],
  [
    'Reason: [{LED=450 4.4.318 Connection was closed abruptly [Message=Socket error code 10054]};{MSG=};{FQDN=};{IP=};{LRT=}]',
    'deferred',
    '4.4.318',
    'deferred',
    'connection-dropped',
  ],
  [
    'Reason: [{LED=450 4.7.320 Certificate validation failed [Message=CertificateExpired] [LastAttemptedServerName=smtp.partner.example]};{MSG=};{FQDN=};{IP=};{LRT=}]',
    'deferred',
    '4.7.320',
    'deferred',
    'tls-certificate',
  ],
  [
    'Reason: [{LED=550 5.4.316 Message expired, connection refused(Socket error code 10061)};{MSG=};{FQDN=};{IP=};{LRT=}]',
    'failed',
    '5.4.316',
    'expired',
    'connection-refused',
  ],
  [
    'Reason: [{LED=550 5.4.315 Message expired, connection timed out};{MSG=};{FQDN=};{IP=};{LRT=}]',
    'failed',
    '5.4.315',
    'expired',
    'network-timeout',
  ],
  [
    'Reason: [{LED=550 5.4.318 Message expired, connection closed abruptly};{MSG=};{FQDN=};{IP=};{LRT=}]',
    'failed',
    '5.4.318',
    'expired',
    'connection-dropped',
  ],
  ['550 5.4.300 Message expired', 'failed', '5.4.300', 'expired', 'remote-server'],
  ['432 4.3.2 STOREDRV.Deliver; recipient thread limit exceeded', 'deferred', '4.3.2', 'deferred', 'throttling'],
  ['452 4.3.1 Insufficient system resources', 'deferred', '4.3.1', 'deferred', 'remote-server'],
  [
    '441 4.4.1 Error encountered while communicating with primary target IP address: "Failed to connect. Winsock error code: 10060"',
    'deferred',
    '4.4.1',
    'deferred',
    'network-timeout',
  ],
  ['451 4.4.2 Connection dropped', 'deferred', '4.4.2', 'deferred', 'connection-dropped'],
  ['452 4.5.3 Too many recipients', 'deferred', '4.5.3', 'deferred', 'throttling'],
  [
    '450 4.7.26 Service unavailable, message sent over IPv6 must pass SPF or DKIM validation',
    'deferred',
    '4.7.26',
    'deferred',
    'authentication',
  ],
  ['451 4.7.500 Server busy. Please try again later from [203.0.113.5]. (AS843)', 'deferred', '4.7.500', 'deferred', 'spam-reputation'],
  [
    '454 4.7.5 The certificate specified in TlsCertificateName of the SendConnector could not be found',
    'deferred',
    '4.7.5',
    'deferred',
    'tls-certificate',
  ],
  ['550 5.0.350 Remote server returned an error -> 550 x-dg-ref:ZmFrZQ==', 'failed', '5.0.350', 'failed', 'remote-server'],
  ['550 5.1.1 RESOLVER.ADR.ExRecipNotFound; not found', 'failed', '5.1.1', 'failed', 'recipient'],
  ['550 5.1.8 Access denied, bad outbound sender', 'failed', '5.1.8', 'failed', 'spam-reputation'],
  [
    "550 5.1.90 Your message can't be sent because you've reached your daily limit for message recipients",
    'failed',
    '5.1.90',
    'failed',
    'throttling',
  ],
  ['554 5.2.2 mailbox full; STOREDRV.Deliver.Exception:QuotaExceededException', 'failed', '5.2.2', 'failed', 'mailbox-quota'],
  ['554 5.2.2 submission quota exceeded', 'failed', '5.2.2', 'failed', 'throttling'],
  ['552 5.2.3 RESOLVER.RST.RecipSizeLimit; message too large for this recipient', 'failed', '5.2.3', 'failed', 'message-size'],
  ["550 5.2.121 Recipient's per hour message receive limit from specific sender exceeded", 'failed', '5.2.121', 'failed', 'throttling'],
  ['552 5.3.4 Message size exceeds fixed maximum message size', 'failed', '5.3.4', 'failed', 'message-size'],
  ['550 5.4.1 Recipient address rejected: Access denied', 'failed', '5.4.1', 'failed', 'recipient'],
  ['550 5.4.1 Relay Access Denied', 'failed', '5.4.1', 'failed', 'relay'],
  ['550 5.4.4 SMTPSEND.DNS.NonExistentDomain; nonexistent domain', 'failed', '5.4.4', 'failed', 'dns'],
  ['554 5.4.6 Hop count exceeded - possible mail loop', 'failed', '5.4.6', 'failed', 'loop'],
  ['554 5.4.14 Hop count exceeded - possible mail loop ATTR34', 'failed', '5.4.14', 'failed', 'loop'],
  ['550 5.7.1 Unable to relay', 'failed', '5.7.1', 'failed', 'relay'],
  ['550 5.7.23 The message was rejected because of Sender Policy Framework violation', 'failed', '5.7.23', 'failed', 'authentication'],
  ['530 5.7.57 Client not authenticated to send mail', 'failed', '5.7.57', 'failed', 'authentication'],
  ['550 5.7.64 TenantAttribution; Relay Access Denied', 'failed', '5.7.64', 'failed', 'relay'],
  [
    '550 5.7.509 Access denied, sending domain contoso.com does not pass DMARC verification',
    'failed',
    '5.7.509',
    'failed',
    'authentication',
  ],
  ['550 5.7.606 Access denied, banned sending IP [203.0.113.66]', 'failed', '5.7.606', 'failed', 'spam-reputation'],
  ['550 5.7.708 Access denied, traffic not accepted from this IP', 'failed', '5.7.708', 'failed', 'spam-reputation'],
  ['550 5.7.133 RESOLVER.RST.SenderNotAuthenticatedForGroup', 'failed', '5.7.133', 'failed', 'policy'],
  // Codes not in the table fall back by class and subject, never to nothing.
  ['550 5.1.99 strange addressing failure', 'failed', '5.1.99', 'failed', 'recipient'],
  ['451 4.4.99 connection timed out somewhere', 'deferred', '4.4.99', 'deferred', 'network-timeout'],
  ['550 5.7.999 blocked by spamhaus listing', 'failed', '5.7.999', 'failed', 'spam-reputation'],
  ['550 5.7.777 blocked, listed on a spam blocklist', 'failed', '5.7.777', 'failed', 'spam-reputation'],
  ['The message was successfully delivered.', 'delivered', null, 'delivered', null],
  ['Message received by: DM6NAM12FT012.eop-nam12.prod.protection.outlook.com', 'other', null, 'other', null],
];

describe('classifyStatus', () => {
  it.each(TABLE)('%s', (text, event, code, outcome, category) => {
    const c = classifyStatus(text, event);
    expect({ code: c.code, outcome: c.outcome, category: c.category }).toEqual({ code, outcome, category });
  });

  it('has at least 40 table cases', () => expect(TABLE.length).toBeGreaterThanOrEqual(40));

  it('keeps the inner reply and the destination from LED tags', () => {
    const c = classifyStatus(TABLE[8]![0]);
    expect(c).toMatchObject({
      replyCode: '450',
      innerReply: '451 5.7.3 STARTTLS is required to send mail',
      destination: { server: 'mail.example.com', ip: '50.251.172.148' },
    });
    expect(classifyStatus(TABLE[2]![0]).innerReply).toBe('Socket error code 10061');
    expect(classifyStatus(TABLE[2]![0]).destination.server).toBe('Hybrid.ourdomain.com');
    expect(classifyStatus(TABLE[0]![0]).innerReply).toBe('451 4.4.0 TLS negotiation failed with error SocketError');
  });

  it('takes the destination from the outbound proxy breadcrumbs when no LED tag names it', () => {
    const c = classifyStatus(
      'Reason: [{LED=451 4.4.397 Error communicating with target host};{MSG=4. OutboundProxyTargetIP: 203.0.113.9. OutboundProxyTargetHostName: mx.fabrikam.com};{FQDN=};{IP=};{LRT=}]',
      'deferred',
    );
    expect(c.destination).toEqual({ server: 'mx.fabrikam.com', ip: '203.0.113.9' });
    expect(c.innerReply).toBeNull(); // the breadcrumbs are not the remote server's reply
    // The same breadcrumbs after the reason, the host name first and last.
    const after = classifyStatus(
      'Reason: [{LED=451 4.4.397 Error communicating with target host};{MSG=};{FQDN=};{IP=};{LRT=}]. OutboundProxyTargetHostName: mx.fabrikam.com. OutboundProxyTargetIP: 203.0.113.9]',
      'deferred',
    );
    expect(after.destination).toEqual({ server: 'mx.fabrikam.com', ip: '203.0.113.9' });
  });

  it('takes the primary code after LED=, not the first x.y.z in the text', () => {
    const c = classifyStatus('Reason: [{LED=450 4.4.317 Cannot connect [Message=451 5.7.3 STARTTLS is required]}]', 'deferred');
    expect(c.code).toBe('4.4.317');
  });

  it('does not read IP addresses as codes', () => {
    expect(classifyStatus('Failed to connect to 10.4.5.6 and 192.5.4.1', 'failed').code).toBeNull();
  });
});

describe('explain (no event context)', () => {
  it('takes the outcome from the code: 4.x.x deferred, 5.x.x failed, expiry forms expired', () => {
    expect(explainStatus('4.4.316').outcome).toBe('deferred');
    expect(explainStatus('5.1.10').outcome).toBe('failed');
    expect(explainStatus('5.4.316').outcome).toBe('expired');
    expect(explainStatus('4.4.7').outcome).toBe('expired');
    expect(explainStatus('5.4.300').outcome).toBe('expired');
    expect(explainStatus('550 4.3.2 QUEUE.TransportAgent; message deleted by transport agent').outcome).toBe('failed');
  });

  it('explains in Italian too', () => {
    const it_ = explainStatus('4.4.316', 'it');
    expect(it_.title).toBe('Connessione rifiutata');
    expect(it_.action).toMatch(/firewall/);
  });
});

// Status texts as Microsoft's NDR pages and admins' posts show them, with the answer an admin needs:
// the code, the outcome, the category and who has to act (issue 12, 4).
type NdrRow = [text: string, code: string, outcome: Outcome, category: string, owner: string, title: RegExp];
const NDRS: NdrRow[] = [
  [
    '554 5.2.252 SendAsDenied; megan@contoso.com not allowed to send as shared@contoso.com; STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied',
    '5.2.252',
    'failed',
    'policy',
    'sender-side',
    /Send As permission missing/,
  ],
  [
    '550 5.7.520 Access denied, Your organization does not allow external forwarding. Please contact your administrator for further assistance. AS(7555)',
    '5.7.520',
    'failed',
    'policy',
    'our-servers',
    /External forwarding blocked by your outbound policy/,
  ],
  [
    '421-4.7.26 This mail has been rate limited because it is unauthenticated. Gmail requires all senders to authenticate with either SPF or DKIM.',
    '4.7.26',
    'deferred',
    'authentication',
    'sender-side',
    /Unauthenticated mail deferred \(SPF\/DKIM\/DMARC\)/,
  ],
  [
    '451 4.7.26 Access denied, a message sent over IPv6 [2a01:111:f400:7e8b::600] must pass either SPF or DKIM validation',
    '4.7.26',
    'deferred',
    'authentication',
    'sender-side',
    /IPv6 message not authenticated/,
  ],
  [
    "550-5.7.26 Unauthenticated email from contoso.com is not accepted due to domain's DMARC policy. Please contact the administrator of contoso.com domain",
    '5.7.26',
    'failed',
    'authentication',
    'sender-side',
    /SPF\/DKIM\/DMARC/,
  ],
  [
    '550 5.7.1 Service unavailable, Client host [203.0.113.5] blocked using Spamhaus. To request removal from this list see https://www.spamhaus.org/query/ip/203.0.113.5 AS(1450)',
    '5.7.1',
    'failed',
    'spam-reputation',
    'sender-side',
    /Sending IP on a block list/,
  ],
  [
    "550 5.7.1 Unfortunately, messages from [203.0.113.5] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3150).",
    '5.7.1',
    'failed',
    'spam-reputation',
    'sender-side',
    /Sending IP on a block list/,
  ],
  [
    '550 5.7.1 Delivery not authorized, message refused',
    '5.7.1',
    'failed',
    'policy',
    'partner',
    /Not authorized by the recipient's policy/,
  ],
  [
    '421 4.7.66 TLS 1.0 and 1.1 are not supported. Please upgrade/update your client to support TLS 1.2. Visit https://aka.ms/smtp_auth_tls.',
    '4.7.66',
    'deferred',
    'tls-certificate',
    'sender-side',
    /TLS 1.0 and 1.1 refused/,
  ],
  [
    '535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information.',
    '5.7.139',
    'failed',
    'authentication',
    'our-servers',
    /SMTP AUTH refused by your tenant/,
  ],
  [
    "535 5.7.139 Authentication unsuccessful, the user is locked by your organization's security defaults policy. Contact your administrator.",
    '5.7.139',
    'failed',
    'authentication',
    'our-servers',
    /SMTP AUTH refused by your tenant/,
  ],
  [
    "550 5.7.232 Your message can't be sent because your trial tenant has exceeded its daily limit for sending email to external recipients (tenant external recipient rate limit)",
    '5.7.232',
    'failed',
    'throttling',
    'our-servers',
    /Trial tenant's daily limit/,
  ],
  [
    "550 5.7.233 Your message can't be sent because your tenant exceeded its daily limit for sending email to external recipients (tenant external recipient rate limit)",
    '5.7.233',
    'failed',
    'throttling',
    'our-servers',
    /TERRL/,
  ],
  ['4.4.7 Message delayed', '4.4.7', 'deferred', 'remote-server', 'partner', /a delay notice, not a failure/],
  ['550 4.4.7 QUEUE.Expired; message expired', '4.4.7', 'expired', 'remote-server', 'partner', /Queue expired/],
  [
    '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup',
    '5.1.10',
    'failed',
    'recipient',
    'recipient-side',
    /./,
  ],
  [
    '550 5.7.899 Access denied by a rule nobody has documented',
    '5.7.899',
    'failed',
    'policy',
    'partner',
    /^Code 5\.7\.899 is not in the table: a permanent policy rejection by its class$/,
  ],
  [
    '451 4.7.299 Temporarily rejected, listed on a spam blocklist',
    '4.7.299',
    'deferred',
    'spam-reputation',
    'sender-side',
    /^Code 4\.7\.299 is not in the table: a temporary spam or reputation block by its class$/,
  ],
];

describe('explain on real NDR texts: code, outcome, category, who acts', () => {
  it.each(NDRS)('%s', (text, code, outcome, category, owner, title) => {
    const e = explainStatus(text);
    expect({ code: e.code, outcome: e.outcome, category: e.category, owner: e.owner }).toEqual({ code, outcome, category, owner });
    expect(e.title).toMatch(title);
  });

  it('says a class fallback is a guess in Italian too', () => {
    expect(explainStatus('550 5.7.899 x', 'it').title).toBe(
      'Il codice 5.7.899 non è nella tabella: secondo la sua classe, rifiuto per policy (definitivo)',
    );
  });

  it('classifies ingested rows the same way: a delay notice stays deferred, a block list is reputation', () => {
    expect(classifyStatus('4.4.7 Message delayed', 'deferred')).toMatchObject({ outcome: 'deferred', transient: true });
    expect(classifyStatus(NDRS[5]![0], 'failed')).toMatchObject({ category: 'spam-reputation', owner: 'sender-side' });
  });
});

describe('the code table', () => {
  it('has at least 45 codes, the six connector codes and their expiry forms among them', () => {
    expect(CODE_TABLE.length).toBeGreaterThanOrEqual(45);
    const expected = {
      '4.4.312': 'dns',
      '4.4.315': 'network-timeout',
      '4.4.316': 'connection-refused',
      '4.4.317': 'remote-server',
      '4.4.318': 'connection-dropped',
      '4.7.320': 'tls-certificate',
    };
    for (const [code, category] of Object.entries(expected)) {
      expect(lookupCode(code)?.category).toBe(category);
      if (code.startsWith('4.4.')) expect(lookupCode(code.replace('4.4.', '5.4.'))).toMatchObject({ category, expiry: true });
    }
  });

  it('gives every entry a category, an owner and three non-empty texts in English and Italian', () => {
    const seen = new Set<string>();
    for (const e of CODE_TABLE) {
      expect(seen.has(e.code), `duplicate ${e.code}`).toBe(false);
      seen.add(e.code);
      expect(CATEGORIES).toContain(e.category);
      expect(OWNERS).toContain(e.owner);
      for (const texts of [e.en, e.it, ...(e.variants ?? []).flatMap((v) => [v.en, v.it])]) {
        expect(texts).toHaveLength(3);
        for (const t of texts) expect(t.length).toBeGreaterThan(5);
      }
      expect(e.it[1]).not.toBe(e.en[1]);
    }
  });

  it('matches ranges on the last part of the code', () => {
    expect(lookupCode('5.7.620')?.code).toBe('5.7.606-649');
    expect(lookupCode('5.7.650')).toBeUndefined();
  });
});
