import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import type { Notification } from '../../functions/core/digest/sns-message.ts';
import { parseRuntimeConfig } from '../../functions/core/config.ts';
import { parseRulesConfig } from '../../functions/core/rules/config.ts';
import { handler } from '../../functions/ingest/handler.ts';
import { utf8 } from '../helpers/bytes.ts';
import { freshBucket } from '../helpers/rgw.ts';
import { s3Record } from '../helpers/s3-events.ts';

// The notifier records in memory: SNS itself cannot run here. Everything else is real: the
// handler, the S3 store and Ceph RGW's conditional writes on rollups, deferral state and incidents.
describe('alerts on Ceph RGW (reliability.md O32, R1)', () => {
  it('300 threshold-crossing uploads through 25 concurrent handlers give exactly one open notification', async () => {
    const { bucket, client } = await freshBucket('alerts');
    const records: Array<ReturnType<typeof s3Record>> = [];
    for (let f = 0; f < 300; f++) {
      let text = '"Date","Event","Detail","MessageTraceId","RecipientAddress"\r\n';
      for (let i = 0; i < 25; i++) text += `"2026-11-20T03:${String((f + i) % 60).padStart(2, '0')}:00Z","Defer","Reason: [{LED=450 4.4.316 Connection refused [LastAttemptedServerName=mail.contoso.com]}]","f${f}-m${i}","u${i}@contoso.com"\r\n`;
      const key = `incoming/contoso/f${f}.csv`;
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: utf8(text) }));
      const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      records.push(s3Record(key, { bucket, size: head.ContentLength!, etag: head.ETag!.replace(/"/g, '') }));
    }
    const sent: Notification[] = [];
    const rt = {
      client,
      config: parseRuntimeConfig({ MAILFLOW_S3_UNQUOTED_IF_MATCH: 'true' }),
      logger: { debug() {}, info() {}, warn() {}, error() {} },
      alerts: { rules: parseRulesConfig({}), notifier: { publish: async (n: Notification) => void sent.push(n) } },
    };
    let next = 0;
    await Promise.all(Array.from({ length: 25 }, async () => {
      while (next < records.length) await handler({ Records: [records[next++]] }, rt);
    }));
    expect(sent.map((n) => [n.json.ruleId, n.json.transition])).toEqual([['connector-codes', 'open']]);
  }, 300_000);
});
