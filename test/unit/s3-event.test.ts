import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeS3Key, parseS3Event } from '../../functions/adapters/s3-event.ts';
import { s3Record } from '../helpers/s3-events.ts';

describe('parseS3Event: event shapes and key decoding (R9, R10)', () => {
  it('decodes form-encoded keys: + is a space, then percent-decoding', () => {
    const table: Array<[string, string]> = [
      ['red+flower.csv', 'red flower.csv'],
      ['a%2Bb.csv', 'a+b.csv'],
      ['%E6%97%A5%E6%9C%AC.csv', '日本.csv'],
      ['incoming/sub+dir/x+y%2Bz.csv.gz', 'incoming/sub dir/x y+z.csv.gz'],
    ];
    for (const [raw, key] of table) expect(decodeS3Key(raw)).toBe(key);
    const long = `incoming/t/${'é'.repeat(505)}.cs`; // 1,024 bytes of UTF-8, the S3 maximum
    expect(Buffer.byteLength(long)).toBe(1024);
    expect(parseS3Event({ Records: [s3Record(long)] }).objects[0]!.key).toBe(long);
  });

  it('round-trips any key through form encoding (property, 1,000 runs)', () => {
    fc.assert(
      fc.property(
        fc.string({
          unit: fc.oneof(fc.constantFrom('+', '%', ' ', '/', '😀', 'é'), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 })),
          minLength: 1,
          maxLength: 60,
        }),
        (name) => {
          const key = `incoming/t/${name.replace(/\/$/, '_')}`;
          const parsed = parseS3Event({ Records: [s3Record(key)] });
          expect(parsed.objects.map((o) => o.key)).toEqual(key.endsWith('/') ? [] : [key]);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('ignores test events, removals, folders, other prefixes and unknown versions, and says why', () => {
    expect(parseS3Event({ Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: 'b' })).toEqual({
      objects: [],
      skipped: [{ key: null, reason: 'S3 test event' }],
    });
    const parsed = parseS3Event({
      Records: [
        s3Record('incoming/t/a.csv', { eventName: 'ObjectRemoved:Delete' }),
        s3Record('incoming/t/folder/', { size: 0 }),
        s3Record('results/hourly/x.json'),
        s3Record('incoming/t/b.csv', { eventVersion: '3.0' }),
        s3Record('incoming/t/c.csv', { etag: 'abc' }),
        s3Record('incoming/d.csv'),
      ],
    });
    expect(parsed.objects.map((o) => [o.key, o.etag])).toEqual([
      ['incoming/t/c.csv', '"abc"'],
      ['incoming/d.csv', '"0123abcd"'],
    ]);
    expect(parsed.skipped.map((s) => s.reason)).toEqual([
      'ObjectRemoved:Delete is not an upload',
      'a folder placeholder, not a file',
      'outside incoming/: only uploads there are ingested',
      'unsupported event version 3.0; expected 2.x',
    ]);
  });
});
