import { describe, expect, it } from 'vitest';
import { taggedKey, uploadKeys } from '../../functions/adapters/local-files.ts';

describe('upload keys', () => {
  it("keep each file's path below the folder the files have in common", () => {
    expect([...uploadKeys(['/data/EX01/a.LOG', '/data/EX02/a.LOG', '/data/EX02/sub/b.csv'], 't').values()]).toEqual([
      'incoming/t/EX01/a.LOG',
      'incoming/t/EX02/a.LOG',
      'incoming/t/EX02/sub/b.csv',
    ]);
    expect([...uploadKeys(['/data/x/trace monday.csv'], 'default').values()]).toEqual(['incoming/default/trace monday.csv']);
    expect([...uploadKeys(['/a/x.csv', '/b/x.csv'], 't').values()]).toEqual(['incoming/t/a/x.csv', 'incoming/t/b/x.csv']);
    // A folder given on its own keeps its name.
    expect([...uploadKeys(['/data/EX01/a.LOG', '/data/EX01/b.LOG'], 't', ['/data/EX01']).values()]).toEqual([
      'incoming/t/EX01/a.LOG',
      'incoming/t/EX01/b.LOG',
    ]);
  });

  it('tag a taken name before its extension, .gz included', () => {
    expect(taggedKey('incoming/t/EX01/MSGTRK1.LOG', 'abc')).toBe('incoming/t/EX01/MSGTRK1~abc.LOG');
    expect(taggedKey('incoming/t/trace.csv.gz', 'abc')).toBe('incoming/t/trace~abc.csv.gz');
    expect(taggedKey('incoming/t/noext', 'abc')).toBe('incoming/t/noext~abc');
  });
});
