import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('../../functions/core/', import.meta.url).pathname;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

// The core is pure: no AWS SDK, no filesystem or network, no environment, no console.
const FORBIDDEN = [
  /from ['"]@aws-sdk\//,
  /from ['"]aws-lambda['"]/,
  /from ['"](node:)?fs(\/promises)?['"]/,
  /from ['"](node:)?(http|https|net|child_process|dgram)['"]/,
  /process\.env/,
  /\bconsole\./,
];

describe('functions/core', () => {
  const sources = files(root);
  it('has sources to check', () => expect(sources.length).toBeGreaterThan(10));
  it.each(sources.map((f) => [f.slice(root.length), f]))('%s does no I/O of its own', (_, file) => {
    const text = readFileSync(file, 'utf8');
    for (const re of FORBIDDEN) expect(text, `${re}`).not.toMatch(re);
  });
});
