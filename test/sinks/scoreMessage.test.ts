import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deadLetterHeaders } from '../../src/sinks/deadLetter.js';
import { buildScoreMessage, fromStoredScore, toStoredScore } from '../../src/sinks/scoreMessage.js';

describe('score message', () => {
  it('has the documented shape, ISO times and rounded probabilities', () => {
    const message = buildScoreMessage({
      event: { eventId: 'e1', userId: 'u1', itemId: 'i1', action: 'view', tsMs: Date.UTC(2017, 10, 26, 1) },
      modelVersion: 'gru-1',
      nextAction: { view: 0.123456789, cart: 0.876543211 },
      churn: 0.5,
      churnHorizonMs: 6 * 3_600_000,
      nextItems: [{ itemId: 'i9', score: 0.0123456789 }],
      scoredAtMs: Date.UTC(2026, 0, 1),
    });
    expect(message).toEqual({
      eventId: 'e1',
      userId: 'u1',
      ts: '2017-11-26T01:00:00.000Z',
      scoredAt: '2026-01-01T00:00:00.000Z',
      modelVersion: 'gru-1',
      nextAction: { view: 0.123457, cart: 0.876543 },
      churn: { horizonSeconds: 21_600, p: 0.5 },
      nextItems: [{ itemId: 'i9', score: 0.012346 }],
    });
  });
});

describe('stored score', () => {
  it('rebuilds the same message, byte for byte, from what is stored and the event', () => {
    const input = {
      event: { eventId: 'e1', userId: 'u1', itemId: 'i1', action: 'view', tsMs: 1_511_654_400_000 },
      modelVersion: 'gru-1',
      nextAction: { view: 0.25, cart: 0.75 },
      churn: 0.125,
      churnHorizonMs: 3_600_000,
      nextItems: [
        { itemId: 'i7', score: 0.5 },
        { itemId: '4294967295', score: 0.123457 },
      ],
      scoredAtMs: 1_767_225_600_000,
    };
    const message = buildScoreMessage(input);
    expect(message).not.toHaveProperty('segment');
    const actions = ['view', 'cart'];
    const stored = toStoredScore(message, actions);
    expect(stored.toString('latin1')).not.toContain('u1');
    const event = { eventId: 'e1', userId: 'u1', tsMs: 1_511_654_400_000 };
    expect(JSON.stringify(fromStoredScore(stored, event, actions))).toBe(JSON.stringify(message));
    expect(() => fromStoredScore(Buffer.from('{}'), event, actions)).toThrow(/not a stored score/);
    const segmented = buildScoreMessage({ ...input, segment: 3 });
    expect(segmented.segment).toBe(3);
    expect(JSON.stringify(fromStoredScore(toStoredScore(segmented, actions), event, actions))).toBe(
      JSON.stringify(segmented),
    );
    expect(() => fromStoredScore(stored.subarray(0, 12), event, actions)).toThrow(/truncated/);
  });

  it('keeps each message its own scoredAt when messages of several times are stored in turn', () => {
    const actions = ['view'];
    const event = { eventId: 'e1', userId: 'u1', itemId: 'i1', action: 'view', tsMs: 1_511_654_400_000 };
    const times = [1_767_225_600_000, 1_767_225_600_000, 1_767_225_600_250, 1_767_225_600_000];
    for (const scoredAtMs of times) {
      const message = buildScoreMessage({
        event,
        modelVersion: 'gru-1',
        nextAction: { view: 1 },
        churn: 0.5,
        churnHorizonMs: 3_600_000,
        nextItems: [],
        scoredAtMs,
      });
      expect(fromStoredScore(toStoredScore(message, actions), event, actions).scoredAt).toBe(
        message.scoredAt,
      );
    }
  });

  it('keeps any item id and score: numeric ids, leading zeros, non-ASCII and 256-character ids', () => {
    const itemId = fc.oneof(
      fc.nat({ max: 2 ** 32 - 1 }).map(String),
      fc.string({ minLength: 1, maxLength: 256, unit: 'grapheme' }),
      fc.constantFrom('0', '007', '4294967296', 'é'),
    );
    const actions = ['view', 'cart', 'fav', 'purchase'];
    const event = { eventId: 'e1', userId: 'u1', tsMs: 1_511_654_400_000 };
    fc.assert(
      fc.property(
        fc.array(fc.record({ itemId, score: fc.double({ min: 0, max: 1, noNaN: true }) }), { maxLength: 20 }),
        fc.string({ maxLength: 40 }),
        (nextItems, modelVersion) => {
          const message = buildScoreMessage({
            event: { ...event, itemId: 'i1', action: 'view' },
            modelVersion,
            nextAction: { view: 0.25, cart: 0.5, fav: 0.125, purchase: 0.125 },
            churn: 0.3,
            churnHorizonMs: 3_600_000,
            nextItems,
            scoredAtMs: 1_767_225_600_000,
          });
          const stored = toStoredScore(message, actions);
          expect(JSON.stringify(fromStoredScore(stored, event, actions))).toBe(JSON.stringify(message));
        },
      ),
    );
  });
});

describe('dead-letter headers', () => {
  it('carry the reason, the source position and a bounded detail', () => {
    const headers = deadLetterHeaders(
      {
        key: null,
        value: Buffer.from('x'),
        reason: 'invalid_json',
        detail: 'y'.repeat(5_000),
        source: { topic: 'user-events', partition: 2, offset: '17' },
      },
      0,
    );
    expect(headers['seqscore-dlq-reason']).toBe('invalid_json');
    expect(headers['seqscore-source-partition']).toBe('2');
    expect(headers['seqscore-source-offset']).toBe('17');
    expect(String(headers['seqscore-dlq-detail']).length).toBe(1_000);
  });
});
