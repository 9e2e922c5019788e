import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ActionVocabulary } from '../../src/events/actionVocabulary.js';
import {
  encodeWindow,
  readEntries,
  toWindowEntry,
  type WindowEntry,
} from '../../src/features/windowEntry.js';

const actions = new ActionVocabulary(['view', 'cart', 'fav', 'purchase']);
const id = fc.oneof(
  fc.nat({ max: 2 ** 32 - 1 }).map(String),
  fc.string({ minLength: 1, maxLength: 300 }),
  fc.constantFrom('0', '007', '4294967296', 'é'),
);
const entries = fc
  .array(
    fc.record({
      itemId: id,
      categoryId: fc.option(id, { nil: null }),
      action: fc.constantFrom(...actions.actions),
      gap: fc.oneof(fc.nat({ max: 100 }), fc.nat({ max: 10_000_000 })),
    }),
    { minLength: 1, maxLength: 60 },
  )
  .map((raw) => {
    let seconds = 1_500_000_000;
    return raw.map(({ gap, ...rest }): WindowEntry => {
      seconds += gap;
      return { ...rest, tsMs: seconds * 1000 };
    });
  });

describe('window entries', () => {
  it('keep what the model needs, with times in whole seconds', () => {
    const entry = toWindowEntry({
      eventId: 'e',
      userId: 'u',
      itemId: 'i"2',
      action: 'cart',
      tsMs: 1_700_000_000_999,
    });
    expect(entry).toEqual({ itemId: 'i"2', categoryId: null, action: 'cart', tsMs: 1_700_000_000_000 });
  });

  it('round-trip through the binary window, read back from the newest end', () => {
    fc.assert(
      fc.property(entries, fc.nat({ max: 70 }), (window, limit) => {
        const bytes = encodeWindow(window, actions);
        const newestSeconds = (window.at(-1) as WindowEntry).tsMs / 1000;
        expect(readEntries(bytes, bytes.length, newestSeconds, window.length, actions)).toEqual(window);
        expect(readEntries(bytes, bytes.length, newestSeconds, limit, actions)).toEqual(
          limit === 0 ? [] : window.slice(-limit),
        );
      }),
    );
  });

  it('take about 12 bytes each with numeric ids', () => {
    const window = Array.from({ length: 50 }, (_, n) => ({
      itemId: String(5_000_000 - n),
      categoryId: String(4_000_000 + n),
      action: 'view',
      tsMs: (1_511_000_000 + n * 90) * 1000,
    }));
    expect(encodeWindow(window, actions).length).toBeLessThanOrEqual(50 * 12);
  });
});
