import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ActionVocabulary } from '../../src/events/actionVocabulary.js';
import { createDecoder, INVALID_REASONS } from '../../src/events/decoder.js';
import { ACTIONS, ALIASES, anyMessage, MAX_BYTES, NOW } from './fuzzMessages.js';

const RUNS = 12_000;
const SKEW_MS = 86_400_000;

describe('decoder, fuzzed', () => {
  it(`never throws on ${RUNS} generated messages, and either validates or gives a reason`, () => {
    const decode = createDecoder({
      vocabulary: new ActionVocabulary(ACTIONS, ALIASES),
      maxBytes: MAX_BYTES,
      maxFutureSkewMs: SKEW_MS,
      now: () => NOW,
    });
    const reasons = new Map<string, number>();
    fc.assert(
      fc.property(anyMessage(), ({ key, value }) => {
        const result = decode(value, key);
        reasons.set(
          result.ok ? 'ok' : result.reason,
          (reasons.get(result.ok ? 'ok' : result.reason) ?? 0) + 1,
        );
        if (!result.ok) {
          expect(INVALID_REASONS).toContain(result.reason);
          expect(result.detail.length).toBeGreaterThan(0);
          return;
        }
        const { event } = result;
        for (const field of [event.eventId, event.userId, event.itemId]) {
          expect(typeof field).toBe('string');
          expect(field.length).toBeGreaterThan(0);
          expect(Buffer.from(field, 'utf8').toString('utf8')).toBe(field);
        }
        expect(ACTIONS).toContain(event.action);
        expect(event.tsMs).toBeGreaterThanOrEqual(Date.UTC(2000, 0, 1));
        expect(event.tsMs).toBeLessThanOrEqual(NOW + SKEW_MS);
        if (key !== null && key.length > 0) expect(key.toString('utf8')).toBe(event.userId);
      }),
      { numRuns: RUNS, seed: 20_261_129 },
    );
    // The generators must reach every reason, or this test could pass without exercising them.
    for (const reason of ['ok', ...INVALID_REASONS]) expect(reasons.get(reason), reason).toBeGreaterThan(0);
    console.log(
      `decoder fuzz: ${RUNS} messages, 0 crashes; outcomes ${JSON.stringify(Object.fromEntries(reasons))}`,
    );
  });
});
