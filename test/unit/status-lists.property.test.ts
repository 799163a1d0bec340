import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitStatuses, splitTopLevel } from '../../functions/core/formats/lists.ts';

/**
 * Tracking logs list one status per recipient, joined by `;`. A status's own text can hold `;`
 * (`QUEUE.Expired; message expired`), brackets with `;` inside (LED blocks, `[Message=…; …]`) and
 * an opener nothing closes (`Message rejected (see https://…`). Whatever mix of these the
 * statuses hold, splitting their join must give them back, one each.
 */
const word = fc.constantFrom('Message', 'rejected', 'QUEUE.Expired', 'mailbox', 'full', 'see', 'https://contoso.com/p', 'not', 'found');
const nested = fc.tuple(fc.constantFrom(['(', ')'], ['[', ']'], ['{', '}']), word, word).map(([[o, c], a, b]) => `${o}${a}; ${b}${c}`);
const unclosed = fc.constantFrom('(', '[', '{');
/** A separator in the text itself, not followed by a status. */
const bare = fc.tuple(word, word).map(([a, b]) => `${a}; ${b}`);
const status = (withBare: boolean) =>
  fc
    .tuple(
      fc.constantFrom('550 5.1.1', '450 4.4.316', '550 4.4.7', '250 2.1.5', '550 5.7.1'),
      fc.array(withBare ? fc.oneof(word, nested, unclosed, bare) : fc.oneof(word, nested, unclosed), { maxLength: 6 }),
    )
    .map(([reply, pieces]) => [reply, ...pieces].join(' '));

describe('status lists', () => {
  it('give back each status of their join, whatever brackets and separators the texts hold', () => {
    fc.assert(
      fc.property(fc.array(status(true), { minLength: 1, maxLength: 6 }), (statuses) => {
        expect(splitStatuses(statuses.join(';'), ';')).toEqual(statuses);
      }),
      { numRuns: 1_000 },
    );
  });

  it('split plainly where no text holds the separator outside brackets', () => {
    fc.assert(
      fc.property(fc.array(status(false), { minLength: 1, maxLength: 6 }), (statuses) => {
        expect(splitTopLevel(statuses.join(';'), ';')).toEqual(statuses);
      }),
      { numRuns: 1_000 },
    );
  });
});
