import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { createOutboxNotifier } from '../../functions/adapters/outbox-notifier.ts';
import { createSnsNotifier } from '../../functions/adapters/sns-notifier.ts';
import { runCli } from '../helpers/io.ts';
import type { Notification } from '../../functions/core/ports.ts';

const alert: Notification = {
  subject: '[mailflow] CRITICAL open: connector-codes (contoso)',
  text: 'Connection refused\nby mail.contoso.com',
  json: { kind: 'alert', code: '4.4.316' },
};

// SNS is mocked because no local SNS implements MessageStructure json faithfully
// (there is no SNS server to run here); the exact PublishCommand input is what matters.
describe('createSnsNotifier', () => {
  it('publishes the exact MessageStructure json input to the topic', async () => {
    const sns = mockClient(SNSClient);
    sns.on(PublishCommand).resolves({ MessageId: '1' });
    const clock = { now: () => new Date(), sleep: async () => {} };
    await createSnsNotifier(new SNSClient({ region: 'us-east-1' }), {
      topicArn: 'arn:aws:sns:us-east-1:123456789012:alerts',
      clock,
    }).publish(alert);
    const calls = sns.commandCalls(PublishCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[0].input).toEqual({
      TopicArn: 'arn:aws:sns:us-east-1:123456789012:alerts',
      Subject: '[mailflow] CRITICAL open: connector-codes (contoso)',
      MessageStructure: 'json',
      Message: JSON.stringify({
        default: alert.text,
        email: alert.text,
        sqs: '{"kind":"alert","code":"4.4.316"}',
        lambda: '{"kind":"alert","code":"4.4.316"}',
        https: '{"kind":"alert","code":"4.4.316"}',
      }),
    });
    sns.restore();
  });

  it('never publishes more than once a second to the topic (O32)', async () => {
    const sns = mockClient(SNSClient);
    const times: number[] = [];
    let now = 0;
    const clock = { now: () => new Date(now), sleep: async (ms: number) => void (now += ms) };
    sns.on(PublishCommand).callsFake(() => {
      times.push(now);
      return { MessageId: String(times.length) };
    });
    const notifier = createSnsNotifier(new SNSClient({ region: 'us-east-1' }), {
      topicArn: 'arn:aws:sns:us-east-1:123456789012:alerts',
      clock,
    });
    await Promise.all(Array.from({ length: 5 }, () => notifier.publish(alert)));
    expect(times).toEqual([0, 1000, 2000, 3000, 4000]);
    sns.restore();
  });
});

describe('the local outbox', () => {
  it('appends one JSON line per notification and prints it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mailflow-outbox-'));
    let printed = '';
    const print = { write: (s: string) => ((printed += s), true) } as unknown as NodeJS.WritableStream;
    const notifier = createOutboxNotifier({ path: join(dir, 'outbox.jsonl'), print, now: () => new Date('2026-11-20T10:00:00Z') });
    await notifier.publish(alert);
    await notifier.publish({ ...alert, subject: 'second' });
    const lines = readFileSync(join(dir, 'outbox.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toEqual([
      { time: '2026-11-20T10:00:00.000Z', subject: alert.subject, text: alert.text, json: alert.json },
      { time: '2026-11-20T10:00:00.000Z', subject: 'second', text: alert.text, json: alert.json },
    ]);
    expect(printed).toContain('── [mailflow] CRITICAL open: connector-codes (contoso) ──');
  });

  it('receives the alerts of `mailflow ingest`, with rules from --config', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mailflow-cli-alerts-'));
    const file = join(dir, 'trace.csv');
    // 350 deferrals to one destination in the upload's latest hour: rules look at that hour.
    let csv = '"Date","Event","Detail","MessageTraceId","RecipientAddress"\r\n';
    for (let i = 0; i < 350; i++)
      csv += `"2026-11-20T03:${String(i % 60).padStart(2, '0')}:00Z","Defer","Reason: [{LED=450 4.4.316 Connection refused [LastAttemptedServerName=mail.contoso.com]}]","m${i}","u${i}@contoso.com"\r\n`;
    writeFileSync(file, csv);
    writeFileSync(
      join(dir, 'rules.json'),
      JSON.stringify({
        rules: [
          { id: 'connector-codes', open: 300, close: 100 },
          { id: 'permanent-failure-rate', enabled: false },
        ],
      }),
    );
    const r = await runCli(['ingest', '--json', '--data-dir', join(dir, 'data'), '--config', join(dir, 'rules.json'), file]);
    expect(r.code).toBe(0);
    const outbox = readFileSync(join(dir, 'data', 'outbox.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(outbox.length).toBeGreaterThanOrEqual(1);
    expect(outbox.every((n) => n.json.ruleId === 'connector-codes')).toBe(true);
    expect(outbox[0].json).toMatchObject({ transition: 'open', topCode: '4.4.316', group: { destination: 'mail.contoso.com' } });
    expect(r.stderr).toContain('[mailflow] CRITICAL open: connector-codes (default)');
    expect(() => JSON.parse(r.stdout.trim())).not.toThrow(); // stdout stays one receipt per line
    const bad = await runCli(['ingest', '--data-dir', join(dir, 'data'), '--config', join(dir, 'missing.json'), file]);
    expect(bad).toMatchObject({ code: 2, stderr: expect.stringContaining('cannot read') });
  });
});

describe('SNS faults at the HTTP layer: throttling retried, a rejected publish not (F18)', () => {
  const clock = { now: () => new Date(), sleep: async () => {} };
  const client = (endpoint: string) =>
    new SNSClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, maxAttempts: 4 });

  it('throttled twice, then accepted: exactly one accepted publish, through the SDK retries', async () => {
    const { startFakeSns } = await import('../helpers/fake-sns.ts');
    const sns = await startFakeSns(['throttle', 'throttle', 'ok']);
    await createSnsNotifier(client(sns.endpoint), { topicArn: 'arn:aws:sns:us-east-1:1:alerts', clock }).publish(alert);
    await sns.close();
    expect(sns.requests).toHaveLength(3);
    expect(sns.accepted).toHaveLength(1);
    expect(sns.accepted[0]).toMatchObject({ Action: 'Publish', MessageStructure: 'json', Subject: alert.subject });
  }, 30_000);

  it('a message SNS refuses is not retried as is, is not lost (a template-only fallback goes out), and the error shows', async () => {
    const { startFakeSns } = await import('../helpers/fake-sns.ts');
    const sns = await startFakeSns(['invalid', 'ok']);
    await expect(
      createSnsNotifier(client(sns.endpoint), { topicArn: 'arn:aws:sns:us-east-1:1:alerts', clock }).publish(alert),
    ).rejects.toMatchObject({ name: 'InvalidParameterException' });
    await sns.close();
    expect(sns.requests).toHaveLength(2);
    expect(sns.accepted).toHaveLength(1);
    expect(sns.accepted[0]).toMatchObject({ Subject: 'mailflow alert' });
    expect(sns.accepted[0]!.Message).toContain('"code":"4.4.316"');
  }, 30_000);
});

describe('one publish a second across instances (O32)', () => {
  it('claims each second with a conditional write, so concurrent instances never share one', async () => {
    const { slotLimited } = await import('../../functions/adapters/slot-limited-notifier.ts');
    const { createMemoryStore } = await import('../helpers/memory-store.ts');
    const store = createMemoryStore();
    let now = 1_000_000;
    const times: number[] = [];
    const clock = { now: () => new Date(now), sleep: async (ms: number) => void (now += Math.max(ms, 1)) };
    const inner = { publish: async () => void times.push(Math.floor(now / 1000)) };
    // Five "instances", each with its own limiter, sharing only the store.
    await Promise.all(Array.from({ length: 5 }, () => slotLimited(inner, store, clock).publish(alert)));
    expect(times).toHaveLength(5);
    expect(new Set(times).size).toBe(5); // five different seconds
  });
});
