import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { describe, expect, inject, it } from 'vitest';
import { generated } from '../helpers/bytes.ts';
import { runCli } from '../helpers/io.ts';
import { OWNER } from '../helpers/lambda/iam.ts';
import { freshBuckets } from '../helpers/rgw.ts';

// mailflow upload against the stack's (versioned) upload bucket on Ceph RGW.
describe('mailflow upload never overwrites (Build 11)', () => {
  it('keeps relative paths, sends the same bytes once, and puts other bytes under a taken name beside them', async () => {
    const b = await freshBuckets('upload');
    const dir = mkdtempSync(join(tmpdir(), 'mailflow-upload-'));
    for (const server of ['EX01', 'EX02']) mkdirSync(join(dir, server));
    writeFileSync(join(dir, 'EX01', 'MSGTRK20261120-1.LOG'), generated({ family: 'onprem-tracking-log', rows: 50, seed: 1 }));
    writeFileSync(join(dir, 'EX02', 'MSGTRK20261120-1.LOG'), generated({ family: 'onprem-tracking-log', rows: 50, seed: 2 }));
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: OWNER.accessKeyId,
      AWS_SECRET_ACCESS_KEY: OWNER.secretAccessKey,
      AWS_REGION: 'us-east-1',
    });
    const cli = (...args: string[]) =>
      runCli(['upload', '--bucket', b.uploads.bucket, '--tenant', 'contoso', '--endpoint', inject('s3Endpoint'), '--path-style', ...args]);
    const keys = async () =>
      ((await b.uploads.client.send(new ListObjectsV2Command({ Bucket: b.uploads.bucket }))).Contents ?? []).map((o) => o.Key!).sort();

    const first = await cli(join(dir, 'EX01'), join(dir, 'EX02'));
    expect(first.code, first.stderr).toBe(0);
    expect(await keys()).toEqual(['incoming/contoso/EX01/MSGTRK20261120-1.LOG', 'incoming/contoso/EX02/MSGTRK20261120-1.LOG']);

    // The same bytes again: nothing sent (the pipeline has them).
    const again = await cli(join(dir, 'EX01', 'MSGTRK20261120-1.LOG'), join(dir, 'EX02', 'MSGTRK20261120-1.LOG'));
    expect(again.stdout).toMatch(
      /= .*EX01\/MSGTRK20261120-1\.LOG: already at s3:\/\/.*\/incoming\/contoso\/EX01\/MSGTRK20261120-1\.LOG \(the same bytes; not sent again\)/,
    );
    expect(await keys()).toHaveLength(2);

    // Another day's file under the same name, uploaded alone: beside it, not over it.
    writeFileSync(join(dir, 'EX01', 'MSGTRK20261120-1.LOG'), generated({ family: 'onprem-tracking-log', rows: 50, seed: 3 }));
    const later = await cli(join(dir, 'EX01'));
    expect(later.code, later.stderr).toBe(0);
    const all = await keys();
    expect(all).toHaveLength(3);
    expect(all).toContainEqual(expect.stringMatching(/^incoming\/contoso\/EX01\/MSGTRK20261120-1~[0-9a-f]{12}\.LOG$/));
    expect(all).toContain('incoming/contoso/EX01/MSGTRK20261120-1.LOG');
  });
});
