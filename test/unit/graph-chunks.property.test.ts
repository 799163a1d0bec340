import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readAll, utf8 } from '../helpers/bytes.ts';

const detail = (id: number, event: string, description: string) => ({
  messageTraceId: `m${id}`,
  recipientAddress: `r${id}@fabrikam.com`,
  dateTime: '2026-11-20T10:16:00Z',
  event,
  action: '',
  description,
  data: '',
});

/** Detail events as JSON lines, some too long, some broken, some blank: what a bad export holds. */
const jsonLines = fc.array(
  fc.oneof(
    fc.record({ event: fc.constantFrom('Deliver', 'Fail', 'Defer'), length: fc.integer({ min: 0, max: 400 }) }),
    fc.constantFrom('{"messageTraceId": "x", "dateTime"', '', '   '),
  ),
  { minLength: 1, maxLength: 12 },
);

async function answer(text: string, sizes: number[] | undefined) {
  try {
    const { summary, events } = await readAll(utf8(text), { limits: { maxRecordBytes: 300 } }, sizes);
    const rejected = summary.rejectedRows.samples.map((r) => [r.line, r.reason.slice(0, 20)]);
    return { events: events.map((e) => [e.messageKey, e.outcome, e.line]), rejected, family: summary.family };
  } catch (err) {
    return { error: (err as { code?: string }).code };
  }
}

describe('Graph detail events (JSON lines) read the same however the bytes arrive', () => {
  it('gives the same events, rejections and errors in one chunk as in chunks of any size', async () => {
    await fc.assert(
      fc.asyncProperty(jsonLines, fc.array(fc.integer({ min: 1, max: 200 }), { minLength: 1, maxLength: 6 }), async (items, sizes) => {
        // The first line a detail event, so the text is JSON lines.
        const text = [detail(0, 'Deliver', 'ok'), ...items]
          .map((it, i) =>
            typeof it === 'string'
              ? it
              : 'event' in it && 'length' in it
                ? JSON.stringify(detail(i, it.event, 'x'.repeat(it.length)))
                : JSON.stringify(it),
          )
          .join('\n');
        expect(await answer(text, sizes)).toEqual(await answer(text, undefined));
      }),
      { numRuns: 200 },
    );
  });
});
