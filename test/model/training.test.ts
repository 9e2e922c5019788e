import { describe, expect, it } from 'vitest';
import type { UserEvent } from '../../src/events/event.js';
import { syntheticEvents } from '../../src/events/synthetic.js';
import { initBackend } from '../../src/model/backend.js';
import { predictLast } from '../../src/model/inference.js';
import { DEFAULT_MODEL_CONFIG, SequenceModel } from '../../src/model/sequenceModel.js';
import {
  fitVocabularies,
  startChurnFromLogistic,
  startFromActionTransitions,
  trainSequenceModel,
} from '../../src/model/training.js';
import { buildChunks, groupByUser } from '../../src/model/trainingData.js';

const MINUTE = 60_000;
const event = (userId: string, action: string, minutes: number): UserEvent => ({
  eventId: `${userId}-${minutes}`,
  userId,
  itemId: `i${minutes}`,
  action,
  tsMs: minutes * MINUTE,
});

describe('training chunks', () => {
  it('orders users by time and labels each step with the next event and churn', () => {
    const events = [
      event('a', 'cart', 10),
      event('a', 'view', 0),
      event('a', 'purchase', 200),
      event('b', 'view', 5),
    ];
    expect(
      groupByUser(events)
        .get('a')
        ?.map((e) => e.action),
    ).toEqual(['view', 'cart', 'purchase']);
    const [chunkA] = buildChunks(events, {
      chunkLength: 10,
      churnHorizonMs: 60 * MINUTE,
      validFromMs: 1e9,
      trainEndMs: 2e9,
    });
    expect(chunkA?.next.map((e) => e?.action ?? null)).toEqual(['cart', 'purchase', null]);
    expect(chunkA?.churned).toEqual([false, true, true]);
    expect(chunkA?.nextRole).toEqual(['train', 'train', null]);
  });

  it('keeps validation labels out of training and test events out of both', () => {
    const events = [0, 10, 20, 30, 40, 50].map((m) => event('u', 'view', m));
    const [chunk] = buildChunks(events, {
      chunkLength: 10,
      churnHorizonMs: 5 * MINUTE,
      validFromMs: 24 * MINUTE,
      trainEndMs: 45 * MINUTE,
    });
    // The event at minute 50 is in the test period: never an input, never a label.
    expect(chunk?.events.map((e) => e.tsMs / MINUTE)).toEqual([0, 10, 20, 30, 40]);
    expect(chunk?.nextRole).toEqual(['train', 'train', 'validation', 'validation', null]);
    // Churn at minute 20 needs to know minute 25, which is validation time: no training label.
    expect(chunk?.churnRole).toEqual(['train', 'train', null, 'validation', 'validation']);
  });

  it('overlaps chunks so every labelled step after the first chunk has half a window of context', () => {
    const events = Array.from({ length: 25 }, (_, m) => event('u', 'view', m));
    const chunks = buildChunks(events, {
      chunkLength: 10,
      churnHorizonMs: MINUTE,
      validFromMs: 1e9,
      trainEndMs: 2e9,
    });
    const labelled = chunks.flatMap((chunk) =>
      chunk.events.filter((_, i) => chunk.nextRole[i] !== null || chunk.churnRole[i] !== null),
    );
    expect(labelled.map((e) => e.tsMs / MINUTE)).toEqual(Array.from({ length: 25 }, (_, m) => m));
    for (const chunk of chunks.slice(1))
      expect(chunk.nextRole.slice(0, 5).every((role) => role === null)).toBe(true);
  });
});

describe('trainSequenceModel', () => {
  it('starts the action head from the training transitions, so a rare repeat is likely before any step', async () => {
    await initBackend('cpu', 'training');
    const actions = ['view', 'cart', 'fav', 'purchase'];
    // A purchase is followed by another purchase 3 times in 4; everything else by a view.
    const events = Array.from({ length: 40 }, (_, u) =>
      ['view', 'purchase', 'purchase', 'purchase', 'purchase', 'view', 'view'].map((action, m) =>
        event(`u${u}`, action, u * 100 + m),
      ),
    ).flat();
    const model = SequenceModel.create(
      { ...DEFAULT_MODEL_CONFIG, maxLength: 10 },
      fitVocabularies(events, actions),
      5,
    );
    const history = [event('x', 'view', 0), event('x', 'purchase', 1)];
    const before = predictLast(model, [history], 5)[0]?.nextAction[3] ?? 1;
    startFromActionTransitions(model, events);
    const after = predictLast(model, [history], 5)[0]?.nextAction ?? [];
    // The untrained encoder's state still adds noise: the transition table decides, not alone.
    expect(before).toBeLessThan(0.35);
    expect(after[3]).toBeGreaterThan(0.45);
    expect(Math.max(...after)).toBe(after[3]);
    model.dispose();
  });

  it('starts the churn head from a logistic regression on the step features, before any step', async () => {
    await initBackend('cpu', 'training');
    const actions = ['view', 'cart', 'fav', 'purchase'];
    // Users view every minute and leave for a day after each purchase.
    const events = Array.from({ length: 30 }, (_, u) =>
      [0, 1, 2].flatMap((day) =>
        ['view', 'view', 'view', 'purchase'].map((action, m) => event(`u${u}`, action, day * 1440 + m)),
      ),
    ).flat();
    const model = SequenceModel.create(
      { ...DEFAULT_MODEL_CONFIG, maxLength: 10 },
      fitVocabularies(events, actions),
      5,
    );
    const chunks = buildChunks(events, {
      chunkLength: 10,
      churnHorizonMs: 60 * MINUTE,
      validFromMs: 1e12,
      trainEndMs: 2e12,
    });
    const churnAfter = (action: string) =>
      predictLast(model, [[event('x', 'view', 0), event('x', action, 1)]], 5)[0]?.churn ?? 0;
    expect(Math.abs(churnAfter('purchase') - churnAfter('view'))).toBeLessThan(0.3);
    startChurnFromLogistic(model, chunks, { batchSize: 8 });
    expect(churnAfter('purchase')).toBeGreaterThan(0.8);
    expect(churnAfter('view')).toBeLessThan(0.2);
    model.dispose();
  });

  it('learns that a cart is often followed by a purchase, deterministically for a seed', async () => {
    await initBackend('cpu', 'training');
    const events = [...syntheticEvents({ events: 3_000, users: 60, items: 300, seed: 11 })];
    const end = events[events.length - 1]?.tsMs ?? 0;
    const options = {
      model: { ...DEFAULT_MODEL_CONFIG, hiddenSize: 16, itemEmbeddingSize: 8, maxLength: 10 },
      actions: ['view', 'cart', 'fav', 'purchase'],
      churnHorizonMs: 60_000,
      trainEndMs: end + 1,
      validFromMs: end - (end - (events[0]?.tsMs ?? 0)) * 0.2,
      epochs: 3,
      patience: 3,
      batchSize: 32,
      learningRate: 0.02,
      lossWeights: { action: 4, item: 0.5, churn: 0.5 },
      negatives: 64,
      dropout: 0,
      seed: 3,
    };
    const first = await trainSequenceModel(events, options);
    const second = await trainSequenceModel(events, options);
    expect(first.epochs.map((e) => e.validation.total)).toEqual(second.epochs.map((e) => e.validation.total));
    const [afterCart, afterView] = predictLast(
      first.model,
      [
        [
          { itemId: 'i1', action: 'view', tsMs: 0 },
          { itemId: 'i1', action: 'cart', tsMs: 10_000 },
        ],
        [
          { itemId: 'i1', action: 'view', tsMs: 0 },
          { itemId: 'i2', action: 'view', tsMs: 10_000 },
        ],
      ],
      5,
    );
    expect(afterCart?.nextAction[3]).toBeGreaterThan((afterView?.nextAction[3] ?? 1) * 2);
  }, 180_000);
});
