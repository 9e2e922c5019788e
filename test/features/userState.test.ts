import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeState,
  encodeState,
  outcomesSpan,
  type UserState,
  withoutOutcomes,
} from '../../src/features/userState.js';

const bytes = (min: number, max: number) =>
  fc.uint8Array({ minLength: min, maxLength: max }).map((array) => Buffer.from(array));

const states: fc.Arbitrary<UserState> = fc.record({
  seq: fc.nat({ max: 2 ** 32 - 1 }),
  newestMs: fc.option(fc.nat({ max: 2 ** 47 })),
  oldestEntrySeconds: fc.nat({ max: 2 ** 32 - 1 }),
  offsets: fc
    .array(fc.tuple(fc.nat({ max: 2 ** 32 - 1 }), fc.nat({ max: 2 ** 47 })), { maxLength: 4 })
    .map((entries) => new Map(entries)),
  recentIds: fc.nat({ max: 6 }).chain((ids) => bytes(ids * 8, ids * 8)),
  outcomes: fc.array(fc.record({ idHash: bytes(8, 8), outcome: bytes(0, 40) }), { maxLength: 5 }),
  model: bytes(0, 80),
  windowCount: fc.nat({ max: 200 }),
  window: bytes(0, 300),
});

describe('user state encoding', () => {
  it('decodes what it encodes', () => {
    fc.assert(
      fc.property(states, (state) => {
        expect(decodeState(encodeState(state))).toEqual(state);
      }),
    );
  });

  it('drops the outcomes by cutting their span out: the bytes of the state encoded without them', () => {
    fc.assert(
      fc.property(states, (state) => {
        const cut = withoutOutcomes(encodeState(state), outcomesSpan(state));
        expect(cut).toEqual(encodeState({ ...state, outcomes: [] }));
      }),
    );
  });

  it('cuts into memory of its own, which a cached state does not share with short-lived buffers', () => {
    fc.assert(
      fc.property(states, (state) => {
        const cut = withoutOutcomes(encodeState(state), outcomesSpan(state));
        expect(cut.buffer.byteLength).toBe(cut.length);
      }),
    );
  });
});
