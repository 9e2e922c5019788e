import { describe, expect, it } from 'vitest';
import type { UserEvent } from '../../src/events/event.js';
import { seededRandom } from '../../src/events/random.js';
import { syntheticEvents } from '../../src/events/synthetic.js';
import { initBackend } from '../../src/model/backend.js';
import { Scorer } from '../../src/model/scorer.js';
import { trainGruModel } from '../../src/model/training.js';
import { buildExamples, groupByUser } from '../../src/model/trainingData.js';

const event = (
  userId: string,
  action: string,
  minutes: number,
  eventId = `${userId}-${minutes}`,
): UserEvent => ({
  eventId,
  userId,
  itemId: 'i',
  action,
  tsMs: minutes * 60_000,
});

describe('training examples', () => {
  it('orders each user by event time and labels the next action and churn', () => {
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
    const examples = buildExamples(events, {
      maxHistory: 10,
      churnHorizonMs: 60 * 60_000,
      maxExamples: 100,
      random: seededRandom(1),
    });
    const byLength = examples.sort((x, y) => x.history.length - y.history.length);
    expect(byLength.map((x) => [x.history.map((e) => e.action), x.nextAction, x.churned])).toEqual([
      [['view'], 'cart', false],
      [['view', 'cart'], 'purchase', true],
    ]);
  });

  it('never puts the labelled event, or anything after it, into the history', () => {
    const events = [...syntheticEvents({ events: 3_000, users: 50, seed: 2 })];
    const examples = buildExamples(events, {
      maxHistory: 20,
      churnHorizonMs: 3_600_000,
      maxExamples: 10_000,
      random: seededRandom(1),
    });
    const byUser = groupByUser(events);
    for (const example of examples.slice(0, 500)) {
      const last = example.history[example.history.length - 1] as UserEvent;
      const sequence = byUser.get(last.userId) as UserEvent[];
      const position = sequence.indexOf(last);
      expect(example.nextAction).toBe(sequence[position + 1]?.action);
      expect(example.history.every((e) => e.tsMs <= last.tsMs)).toBe(true);
    }
  });
});

describe('trainGruModel', () => {
  it('learns the synthetic cart -> purchase pattern, deterministically', async () => {
    await initBackend('cpu', 'training');
    const events = [...syntheticEvents({ events: 4_000, users: 100, seed: 11 })];
    const options = {
      actions: ['view', 'cart', 'fav', 'purchase'],
      churnHorizonMs: 3_600_000,
      epochs: 4,
      seed: 3,
      hiddenUnits: 8,
      trainLength: 5,
      maxSequenceLength: 50,
      maxExamples: 2_000,
      batchSize: 64,
      source: 'synthetic',
    };
    const first = await trainGruModel(events, options);
    const second = await trainGruModel(events, options);
    expect(first.metadata.training.finalLoss).toBe(second.metadata.training.finalLoss);
    const scorer = new Scorer(first);
    const [afterCart, afterView] = scorer.score([
      [
        { action: 'view', tsMs: 0 },
        { action: 'cart', tsMs: 10_000 },
      ],
      [
        { action: 'view', tsMs: 0 },
        { action: 'view', tsMs: 10_000 },
      ],
    ]);
    expect(afterCart?.nextAction.purchase).toBeGreaterThan((afterView?.nextAction.purchase ?? 1) * 2);
  }, 120_000);
});
