import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
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

/**
 * The direction data flows, lowest first: a folder may import from folders in earlier layers
 * only (and from itself). `(root)` is errors.ts and ports.ts, which everything may use.
 */
const LAYERS = [
  ['(root)'],
  ['vocabulary'],
  ['input'],
  ['csv'],
  ['formats'],
  ['classify'],
  ['read'],
  ['aggregate'],
  ['store'],
  ['rules'],
  ['query', 'generate'],
  ['render'],
  ['flows'],
];
const layerOf = new Map(LAYERS.flatMap((folders, i) => folders.map((f) => [f, i] as const)));

const folderOf = (file: string) => {
  const parts = relative(root, file).split('/');
  return parts.length > 1 ? parts[0]! : '(root)';
};

/** Relative imports of every core file, resolved: `from '…'`, `import('…')`, type imports included. */
function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:from\s+|import\s*\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => resolve(dirname(file), m[1]!));
}

describe('functions/core', () => {
  const sources = files(root);
  it('has sources to check', () => expect(sources.length).toBeGreaterThan(10));
  it.each(sources.map((f) => [f.slice(root.length), f]))('%s does no I/O of its own', (_, file) => {
    const text = readFileSync(file, 'utf8');
    for (const re of FORBIDDEN) expect(text, `${re}`).not.toMatch(re);
  });

  it('every core folder has a place in the layers', () => {
    const folders = new Set(sources.map(folderOf));
    expect([...folders].filter((f) => !layerOf.has(f))).toEqual([]);
  });

  it('imports stay inside the core and point down the layers (input → csv → formats → classify → read → aggregate → store → rules → query → render → flows)', () => {
    const wrong: string[] = [];
    for (const file of sources) {
      const from = folderOf(file);
      for (const target of imports(file)) {
        if (!target.startsWith(root)) {
          wrong.push(`${relative(root, file)} imports ${relative(root, target)}, outside the core`);
          continue;
        }
        const to = folderOf(target);
        if (to !== from && layerOf.get(to)! >= layerOf.get(from)!)
          wrong.push(`${relative(root, file)} (${from}) imports ${relative(root, target)} (${to})`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('has no import cycles between core folders', () => {
    const edges = new Map<string, Set<string>>();
    for (const file of sources) {
      for (const target of imports(file)) {
        if (!target.startsWith(root)) continue;
        const [a, b] = [folderOf(file), folderOf(target)];
        if (a !== b) edges.set(a, (edges.get(a) ?? new Set()).add(b));
      }
    }
    const cycles: string[] = [];
    const visit = (node: string, path: string[]) => {
      for (const next of edges.get(node) ?? []) {
        if (path.includes(next)) cycles.push([...path.slice(path.indexOf(next)), next].join(' → '));
        else visit(next, [...path, next]);
      }
    };
    for (const start of edges.keys()) visit(start, [start]);
    expect(cycles).toEqual([]);
  });
});

describe('functions/', () => {
  const all = files(new URL('../../functions/', import.meta.url).pathname);
  it('the adapters and shells reach the core, never the other way; adapters never import a Lambda shell', () => {
    const wrong: string[] = [];
    const fnRoot = new URL('../../functions/', import.meta.url).pathname;
    for (const file of all) {
      const area = relative(fnRoot, file).split('/')[0]!;
      for (const target of imports(file)) {
        const to = relative(fnRoot, target).split('/')[0]!;
        if (area === 'adapters' && !['adapters', 'core'].includes(to))
          wrong.push(`${relative(fnRoot, file)} imports ${relative(fnRoot, target)}`);
        if (area === 'cli' && !['cli', 'adapters', 'core'].includes(to))
          wrong.push(`${relative(fnRoot, file)} imports ${relative(fnRoot, target)}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});

describe('functions/cli', () => {
  const fnRoot = new URL('../../functions/', import.meta.url).pathname;
  /** Packages a module loads when it is imported: static value imports, followed through relative ones (`import type` is erased). */
  function packagesLoadedBy(entry: string): Set<string> {
    const seen = new Set<string>();
    const packages = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/^import\s+(?!type\s)[^'"]*?from\s+['"]([^'"]+)['"]/gm)) {
        const spec = m[1]!;
        if (spec.startsWith('.')) visit(resolve(dirname(file), spec));
        else packages.add(spec);
      }
    };
    visit(join(fnRoot, entry));
    return packages;
  }

  it.each(['ingest', 'inspect', 'explain', 'generate', 'watch'])(
    'mailflow %s does not load the AWS SDK (it never touches a bucket)',
    (command) => {
      const aws = [...packagesLoadedBy(`cli/commands/${command}.ts`)].filter((p) => p.startsWith('@aws-sdk/'));
      expect(aws).toEqual([]);
    },
  );

  it('the walk sees the SDK where it is loaded (the test can fail)', () => {
    expect([...packagesLoadedBy('cli/commands/upload.ts')].some((p) => p.startsWith('@aws-sdk/'))).toBe(true);
  });
});
