import { describe, expect, it } from 'vitest';
import { ENV, parseRuntimeConfig } from '../../functions/adapters/runtime-config.ts';

describe('runtime configuration of the deployed functions', () => {
  it('has defaults for everything, the part size of large files included', () => {
    expect(parseRuntimeConfig({})).toMatchObject({ partEvents: 250_000, readIdleTimeoutMs: 30_000, s3MaxAttempts: 6 });
    expect(parseRuntimeConfig({ [ENV.PART_EVENTS]: ' 5000 ' }).partEvents).toBe(5000);
  });

  it('lists every bad value at once, with its name and what it must be', () => {
    expect(() => parseRuntimeConfig({ [ENV.PART_EVENTS]: '999', [ENV.READ_IDLE_TIMEOUT_MS]: '1.5' })).toThrow(
      expect.objectContaining({
        code: 'BAD_CONFIG',
        message:
          'MAILFLOW_READ_IDLE_TIMEOUT_MS must be a whole number ≥ 1, not "1.5"; MAILFLOW_PART_EVENTS must be a whole number ≥ 1000, not "999"',
      }),
    );
  });
});
