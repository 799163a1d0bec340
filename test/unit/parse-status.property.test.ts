import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseStatus } from '../../functions/core/classify/parse-status.ts';

/**
 * Exchange Online's `Reason: [{LED=…};{MSG=…};{FQDN=…};{IP=…};{LRT=…}]` assembled from its parts in
 * every combination the exports show: the destination can be named by LED tags, by the FQDN and IP
 * braces, or only by the outbound proxy's breadcrumbs (inside MSG or after the reason). Whichever
 * names it, parseStatus must give exactly that name: no brace, bracket or port carried along.
 */
const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?$/);
const host = fc.array(label, { minLength: 1, maxLength: 4 }).map((ls) => ls.join('.'));
const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((p) => p.join('.'));
const code = fc.constantFrom(['450', '4.4.316'], ['451', '4.4.397'], ['550', '5.1.1'], ['550', '5.2.2'], ['451', '4.7.500']);
const reasonText = fc.constantFrom('Connection refused', 'Error communicating with target host', 'mailbox full; STOREDRV.Deliver', '');

const status = fc.record({
  code,
  reasonText,
  inner: fc.option(fc.constantFrom('Socket error code 10061', '451 4.4.0 TLS negotiation failed with error SocketError'), {
    nil: undefined,
  }),
  ledServer: fc.option(host, { nil: undefined }),
  ledIp: fc.option(ipv4, { nil: undefined }),
  eopStamp: fc.boolean(),
  fqdn: fc.option(host, { nil: undefined }),
  braceIp: fc.option(ipv4, { nil: undefined }),
  proxy: fc.option(fc.record({ ip: ipv4, host, inMsg: fc.boolean(), hostFirst: fc.boolean() }), { nil: undefined }),
});

type Status = typeof status extends fc.Arbitrary<infer T> ? T : never;

function render(s: Status): string {
  const tags = [
    s.inner ? `[Message=${s.inner}]` : '',
    s.ledServer ? `[LastAttemptedServerName=${s.ledServer}]` : '',
    s.ledIp ? `[LastAttemptedIP=${s.ledIp}:25]` : '',
    s.eopStamp ? '[DM6NAM12FT012.eop-nam12.prod.protection.outlook.com 2026-06-01T05:56:13.000Z 08DB1DF24DB12D84]' : '',
  ]
    .filter(Boolean)
    .join(' ');
  const crumbs = s.proxy
    ? s.proxy.hostFirst
      ? `OutboundProxyTargetHostName: ${s.proxy.host}. OutboundProxyTargetIP: ${s.proxy.ip}`
      : `OutboundProxyTargetIP: ${s.proxy.ip}. OutboundProxyTargetHostName: ${s.proxy.host}`
    : '';
  const msg = s.proxy?.inMsg ? `4. ${crumbs}` : '';
  const led = `LED=${s.code[0]} ${s.code[1]} ${s.reasonText}${tags ? ' ' + tags : ''}`;
  const body = `Reason: [{${led}};{MSG=${msg}};{FQDN=${s.fqdn ?? ''}};{IP=${s.braceIp ?? ''}};{LRT=}]`;
  return s.proxy && !s.proxy.inMsg ? `${body}. ${crumbs}` : body;
}

/** The older layout (`{Last attempted server name=…}`) and the NDR diagnostic line senders paste. */
const other = fc.record({
  layout: fc.constantFrom('older', 'ndr'),
  code,
  reasonText,
  inner: fc.option(fc.constantFrom('Socket error code 10061', '451 5.7.3 STARTTLS is required to send mail'), { nil: undefined }),
  server: fc.option(host, { nil: undefined }),
});

type Other = typeof other extends fc.Arbitrary<infer T> ? T : never;

function renderOther(s: Other): string {
  const reply = s.code[0];
  const c = s.code[1];
  if (s.layout === 'older')
    return `'[{LED=${reply} ${c} ${s.reasonText}};{MSG=${s.inner ?? ''}}${s.server ? `;{Last attempted server name=${s.server}}` : ''}`;
  const tags = [
    s.inner ? `[Message=${s.inner}]` : '',
    s.server ? `[LastAttemptedServerName=${s.server}]` : '',
    '[AM5EUR03FT022.eop-EUR03.prod.protection.outlook.com]',
  ]
    .filter(Boolean)
    .join(' ');
  return `Remote Server returned '${reply} ${c} ${s.reasonText} ${tags}'`;
}

/** A remote server's reply of several lines (`550-5.7.26 …`), the destination in the braces. */
const multiLine = fc.record({ lines: fc.integer({ min: 1, max: 4 }), fqdn: host, ip: ipv4 });

describe('parseStatus on generated LED reasons', () => {
  it('names the destination exactly as the first source that names it (LED tag, then brace, then proxy)', () => {
    fc.assert(
      fc.property(status, (s) => {
        const p = parseStatus(render(s));
        expect(p.code).toBe(s.code[1]);
        expect(p.replyCode).toBe(s.code[0]);
        expect(p.server).toBe(s.ledServer ?? s.fqdn ?? s.proxy?.host ?? null);
        expect(p.ip).toBe(s.ledIp ?? s.braceIp ?? s.proxy?.ip ?? null);
        // The proxy's breadcrumbs are never the remote server's own reply.
        expect(p.innerReply).toBe(s.inner ?? null);
      }),
      { numRuns: 2000 },
    );
  });

  it('reads the older layout and the NDR line the same way: code, server, inner reply', () => {
    fc.assert(
      fc.property(other, (s) => {
        const p = parseStatus(renderOther(s));
        expect(p.code).toBe(s.code[1]);
        expect(p.replyCode).toBe(s.code[0]);
        expect(p.server).toBe(s.server ?? null);
        expect(p.ip).toBeNull();
        expect(p.innerReply).toBe(s.inner ?? null);
      }),
      { numRuns: 1000 },
    );
  });

  it('takes the code of a reply of several lines from its first, and the destination from the braces', () => {
    fc.assert(
      fc.property(multiLine, (s) => {
        const body = Array.from({ length: s.lines }, (_, i) => `550${i === s.lines - 1 ? ' ' : '-'}5.7.26 line ${i + 1} of the reply`).join(
          '\n ',
        );
        const p = parseStatus(`Reason: [{LED=${body} - gsmtp};{MSG=};{FQDN=${s.fqdn}};{IP=${s.ip}};{LRT=12/03/2025 19:50:43}]`);
        expect(p).toMatchObject({ code: '5.7.26', replyCode: '550', server: s.fqdn, ip: s.ip, innerReply: null });
      }),
      { numRuns: 500 },
    );
  });
});
