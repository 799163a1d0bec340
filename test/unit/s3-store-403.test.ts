import { GetObjectCommand, ListObjectsV2Command, S3ServiceException, type S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { createS3Store } from '../../functions/adapters/s3-store.ts';

// A scripted client, for the orderings a real server shows only by chance: the integration tests
// meet the same 403 for missing keys on Ceph RGW under the functions' roles (list only by prefix).
function fakeClient(existing: string[], readable: (key: string, attempt: number) => boolean = () => false): S3Client & { calls: string[] } {
  const calls: string[] = [];
  const attempts = new Map<string, number>();
  return {
    calls,
    async send(command: unknown) {
      if (command instanceof GetObjectCommand) {
        const key = command.input.Key!;
        calls.push(`get ${key}`);
        const n = (attempts.get(key) ?? 0) + 1;
        attempts.set(key, n);
        if (readable(key, n)) return { ETag: '"e"', Body: { transformToByteArray: async () => Buffer.from('{}') } };
        throw new S3ServiceException({
          name: 'AccessDenied',
          $fault: 'client',
          $metadata: { httpStatusCode: 403 },
          message: 'Access Denied',
        });
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

  it('reads again when a concurrent writer created the object between the 403 and the listing', async () => {
    const client = fakeClient(['results/hourly/x.json'], (_, attempt) => attempt === 2);
    const store = createS3Store(client, { bucket: 'b' });
    expect(await store.get('results/hourly/x.json')).toMatchObject({ etag: '"e"' });
    expect(client.calls).toEqual(['get results/hourly/x.json', 'list results/hourly/x.json', 'get results/hourly/x.json']);
  });

  it('rethrows the 403 when the object exists and stays unreadable: a real permission problem', async () => {
    const client = fakeClient(['results/hourly/x.json']);
    await expect(createS3Store(client, { bucket: 'b' }).get('results/hourly/x.json')).rejects.toMatchObject({ name: 'AccessDenied' });
    expect(client.calls.filter((c) => c.startsWith('get'))).toHaveLength(3);
  });
});
