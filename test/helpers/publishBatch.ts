import type { PublishBatch } from '../../src/sinks/publisher.js';

/** A micro-batch of one score and no dead letter, from the given input position. */
export function oneScoreBatch(input: PublishBatch['inputs'][number]): PublishBatch {
  return {
    scores: [
      {
        eventId: 'e1',
        userId: 'u1',
        ts: '2017-11-26T00:00:00.000Z',
        scoredAt: '2026-01-01T00:00:00.000Z',
        modelVersion: 'v',
        nextAction: { view: 1 },
        churn: { horizonSeconds: 60, p: 0.5 },
        nextItems: [],
      },
    ],
    deadLetters: [],
    inputs: [input],
  };
}
