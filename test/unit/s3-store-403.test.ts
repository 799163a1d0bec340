import { GetObjectCommand, ListObjectsV2Command, S3ServiceException, type S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { createS3Store } from '../../functions/adapters/s3-store.ts';

// A fake client, because AWS's IAM answer (403 for a missing key without list permission) cannot
// run here: Ceph RGW answers 404. It replies AccessDenied to every GetObject, like AWS would.
function fakeClient(existing: string[]): S3Client & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    async send(command: unknown) {
      if (command instanceof GetObjectCommand) {
        calls.push(`get ${command.input.Key}`);
        throw new S3ServiceException({ name: 'AccessDenied', $fault: 'client', $metadata: { httpStatusCode: 403 }, message: 'Access Denied' });
      }
      if (command instanceof ListObjectsV2Command) {
        calls.push(`list ${command.input.Prefix}`);
        return { Contents: existing.filter((k) => k.startsWith(command.input.Prefix!)).map((Key) => ({ Key })) };
      }
      throw new Error('unexpected command');
    },
  } as unknown as S3Client & { calls: string[] };
}

describe('createS3Store.get with prefix-scoped list permission', () => {
  it('reads a 403 for a missing key as "missing", after a listing of exactly that key', async () => {
    const client = fakeClient(['results/hourly/x.json']);
    const store = createS3Store(client, { bucket: 'b' });
    expect(await store.get('results/sources/t/abc.json')).toBeNull();
    expect(client.calls).toEqual(['get results/sources/t/abc.json', 'list results/sources/t/abc.json']);
  });

  it('rethrows the 403 when the object exists: a real permission problem', async () => {
    const store = createS3Store(fakeClient(['results/hourly/x.json']), { bucket: 'b' });
    await expect(store.get('results/hourly/x.json')).rejects.toMatchObject({ name: 'AccessDenied' });
  });
});
