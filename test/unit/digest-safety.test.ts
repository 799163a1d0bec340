import { describe, expect, it } from 'vitest';
import { asciiSubject, sanitizeField } from '../../functions/core/render/sanitize.ts';
import { buildSnsPublish, MESSAGE_BUDGET } from '../../functions/core/render/sns-message.ts';

const C0_EXCEPT_NEWLINE = /[\u0000-\u0009\u000B-\u001F]/;
const BIDI = /[\u202A-\u202E\u2066-\u2069]/;

describe('sanitizeField: digest injection (O30)', () => {
  const hostile = [
    '<img src=x onerror=alert(1)>@evil.example',
    '[click me](http://evil.example/login)',
    'visit https://phish.example/reset now',
    'www.evil-site.com/pay',
    'victim@contoso.com\r\nBcc: everyone@contoso.com',
    'invoice\u202Efdp.exe',
    'nul\u0000byte\u0007bell\u001bescape',
    'x'.repeat(10_000),
  ];

  it.each(hostile)('neutralises %s', (input) => {
    const out = sanitizeField(input);
    expect(out).not.toMatch(C0_EXCEPT_NEWLINE);
    expect(out).not.toMatch(/\n/);
    expect(out).not.toMatch(BIDI);
    expect(out.length).toBeLessThanOrEqual(200);
    expect(out).not.toMatch(/https?:\/\//i);
    expect(out).not.toMatch(/www\.[a-z]/i);
  });

  it('defangs URLs visibly and keeps ordinary text and addresses', () => {
    expect(sanitizeField('see https://phish.example/reset')).toBe('see hxxps[:]//phish.example/reset');
    expect(sanitizeField('450 4.4.316 Connection refused [mail.contoso.com]')).toBe('450 4.4.316 Connection refused [mail.contoso.com]');
    expect(sanitizeField('a.rossi@fabrikam.it')).toBe('a.rossi@fabrikam.it');
    expect(sanitizeField('x'.repeat(300))).toBe(`${'x'.repeat(199)}…`);
    expect(sanitizeField('😀'.repeat(150)).length).toBeLessThanOrEqual(200); // never half a surrogate pair
    expect(sanitizeField('😀'.repeat(150))).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
  });
});

describe('subjects', () => {
  it('are printable ASCII, 1 to 99 characters, whatever they are built from', () => {
    for (const raw of ['[mailflow] CRITICAL 4.4.316 refused — contoso\r\nBcc: x', 'é'.repeat(300), '', '\u202E\u0000']) {
      const s = asciiSubject(raw);
      expect(s).toMatch(/^[\x20-\x7E]{1,99}$/);
    }
    expect(asciiSubject('[mailflow] Connessione rifiutata: perché?')).toBe('[mailflow] Connessione rifiutata: perche?');
  });
});

describe('buildSnsPublish: digest size (O31)', () => {
  it('sends plain text to people and JSON to machines with MessageStructure json', () => {
    const input = buildSnsPublish({
      subject: '[mailflow] open: 4.4.316 on mail.contoso.com',
      text: 'Connection refused\nby mail.contoso.com',
      json: { kind: 'alert', code: '4.4.316' },
    });
    expect(input.MessageStructure).toBe('json');
    const message = JSON.parse(input.Message);
    expect(Object.keys(message).sort()).toEqual(['default', 'email', 'https', 'lambda', 'sqs']);
    expect(message.default).toBe('Connection refused\nby mail.contoso.com');
    expect(message.email).toBe(message.default);
    expect(JSON.parse(message.sqs)).toEqual({ kind: 'alert', code: '4.4.316' });
  });

  it('keeps 50,000 failures with 4-byte characters under 240 KiB, says so, and names the full report', () => {
    const lines = Array.from({ length: 50_000 }, (_, i) => `😀 failure ${i} for user${i}@example.com 𝄞`);
    const input = buildSnsPublish({
      subject: 'digest',
      text: lines.join('\n'),
      json: { kind: 'digest', tenant: 'contoso', failures: lines },
      fullReportKey: 'reports/contoso/2026-11-27.json',
    });
    const bytes = Buffer.byteLength(input.Message);
    expect(bytes).toBeLessThanOrEqual(MESSAGE_BUDGET);
    expect(bytes).toBeLessThan(262_144);
    const message = JSON.parse(input.Message);
    expect(typeof message.default).toBe('string');
    expect(message.email).toMatch(/\[truncated: the full report is at reports\/contoso\/2026-11-27\.json\]$/);
    expect(JSON.parse(message.sqs)).toEqual({
      kind: 'digest',
      tenant: 'contoso',
      truncated: true,
      fullReportKey: 'reports/contoso/2026-11-27.json',
    });
    expect(message.email).not.toMatch(/\uFFFD/);
  });
});
