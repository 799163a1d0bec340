import { describe, expect, it } from 'vitest';
import { runChild } from '../helpers/child.ts';

/**
 * Issue 13 (1): what an upload keeps for its whole length holds its own texts. A destination
 * parsed out of a status text is a slice of it, and a slice keeps its parent alive: 100,000 open
 * deferrals held ~30 MB of a dense export's status texts. Measured in a child, after a full GC.
 */
describe('open deferrals and aliases keep their texts, not the status texts they came from (O36)', () => {
  it('100,000 deferrals whose destinations come from 2,000-character status texts hold well under the 200 MB of those texts', async () => {
    const { result } = await runChild('deferral-texts', ['deferrals'], 120_000, ['--expose-gc']);
    expect(result).toMatchObject({ tracked: 100_000, aliases: 5_000 });
    // The entries themselves: ~20 MB (keys, objects, numbers); the texts would add 200 MB.
    expect(result.retainedMiB as number).toBeLessThan(60);
  }, 180_000);

  it('10,000 kept texts, each cut from a 10,000-character text, hold their own ~1 MB, not the 100 MB they came from', async () => {
    const { result } = await runChild('deferral-texts', ['keeper'], 120_000, ['--expose-gc']);
    expect(result).toMatchObject({ kept: 10_000, first: 'mx0.partner.example' });
    expect(result.retainedMiB as number).toBeLessThan(20);
  }, 180_000);
});
