import { describe, expect, it } from 'vitest';

// Lambda calls every handler as handler(event, context). A second parameter with a default (an
// injectable runtime, an env object) is silently replaced by the context object, and a third
// (a callback) is refused by the Node 24 runtime. So each entry module exports exactly a
// two-parameter handler; the injectable work lives in its own module.
const ENTRY_POINTS = ['ingest', 'reconcile', 'digest', 'query', 'collect'];

describe('Lambda entry points', () => {
  it.each(ENTRY_POINTS)('functions/%s/handler.ts exports only handler(event, context)', async (name) => {
    const mod = (await import(`../../functions/${name}/handler.ts`)) as Record<string, unknown>;
    expect(Object.keys(mod)).toEqual(['handler']);
    expect(typeof mod.handler).toBe('function');
    // Function.length stops at the first defaulted parameter: (event, rt = x) has length 1.
    expect((mod.handler as (...args: unknown[]) => unknown).length).toBe(2);
  });
});
