import { describe, expect, it } from 'vitest';
import { parseRulesConfig } from '../../functions/core/rules/config.ts';
import { ingestBatch } from '../../functions/ingest/ingest-batch.ts';
import { utf8 } from '../helpers/bytes.ts';
import { inProcess } from '../helpers/deployed.ts';
import { freshBuckets, upload } from '../helpers/rgw.ts';
import { recordOf, uploadBatch } from '../helpers/s3-events.ts';
import type { Notification } from '../../functions/core/ports.ts';

// The notifier records in memory: SNS itself cannot run here. Everything else is real: the ingest
// function's code under its role, and Ceph RGW's conditional writes on rollups, deferral state and incidents.
describe('alerts on Ceph RGW: publish rate, concurrent duplicates (O32, R1)', () => {
  it('300 threshold-crossing uploads through 25 concurrent invocations give exactly one open notification', async () => {
    const b = await freshBuckets('alerts');
    const records: Array<ReturnType<typeof recordOf>> = [];
    for (let f = 0; f < 300; f++) {
      let text = '"Date","Event","Detail","MessageTraceId","RecipientAddress"\r\n';
      for (let i = 0; i < 25; i++)
        text += `"2026-11-20T03:${String((f + i) % 60).padStart(2, '0')}:00Z","Defer","Reason: [{LED=450 4.4.316 Connection refused [LastAttemptedServerName=mail.contoso.com]}]","f${f}-m${i}","u${i}@contoso.com"\r\n`;
      records.push(recordOf(await upload(b.uploads.client, b.uploads.bucket, `incoming/contoso/f${f}.csv`, utf8(text))));
    }
    const sent: Notification[] = [];
    const alerts = { rules: parseRulesConfig({}), notifier: { publish: async (n: Notification) => void sent.push(n) } };
    let next = 0;
    await Promise.all(
      Array.from({ length: 25 }, async () => {
        const rt = await inProcess('Ingest', b.local, { alerts });
        while (next < records.length) expect((await ingestBatch(uploadBatch(records[next++]!), rt)).batchItemFailures).toEqual([]);
      }),
    );
    expect(sent.map((n) => [n.json.ruleId, n.json.transition])).toEqual([['connector-codes', 'open']]);
  }, 300_000);
});
