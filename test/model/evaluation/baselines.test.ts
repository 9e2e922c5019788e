import { describe, expect, it } from 'vitest';
import type { UserEvent } from '../../../src/events/event.js';
import { buildBaselines } from '../../../src/model/evaluation/baselines.js';
import type { Predictor } from '../../../src/model/evaluation/predictor.js';

const MINUTE = 60_000;
const e = (userId: string, itemId: string, minutes: number, action = 'view'): UserEvent => ({
  eventId: `${userId}-${minutes}`,
  userId,
  itemId,
  action,
  tsMs: minutes * MINUTE,
});

// u1: x y x z ; u2: x y w ; u3: z z (cart -> purchase)
const train = [
  e('u1', 'x', 0),
  e('u1', 'y', 1),
  e('u1', 'x', 2),
  e('u1', 'z', 3),
  e('u2', 'x', 0),
  e('u2', 'y', 1),
  e('u2', 'w', 2),
  e('u3', 'z', 0, 'cart'),
  e('u3', 'z', 1, 'purchase'),
];
const actions = ['view', 'cart', 'purchase'];
const baselines = new Map(
  buildBaselines({ actions, train, churnHorizonMs: 10 * MINUTE, testFromMs: 1_000 * MINUTE }).map((b) => [
    b.name,
    b,
  ]),
);
const get = (name: string) => baselines.get(name) as Predictor;

describe('baselines on a tiny fixture', () => {
  it('prior: add-one smoothed class frequencies', () => {
    // views 7, carts 1, purchases 1, plus one each
    expect(get('prior').nextAction?.([[]])[0]).toEqual([8 / 12, 2 / 12, 2 / 12]);
  });

  it('action Markov chain: next action given the last one', () => {
    // from cart: purchase once (+1 smoothing each): [1, 1, 2] / 4
    expect(get('actionMarkov').nextAction?.([[e('t', 'z', 0, 'cart')]])[0]).toEqual([0.25, 0.25, 0.5]);
  });

  it('popularity: most frequent items first', () => {
    expect(get('popularity').nextItems?.([[]], 2)[0]).toEqual(['x', 'z']);
  });

  it('recency-repeat: recent distinct items, then popular ones', () => {
    expect(
      get('recencyRepeat').nextItems?.([[e('t', 'w', 0), e('t', 'y', 1), e('t', 'w', 2)]], 3)[0],
    ).toEqual(['w', 'y', 'x']);
  });

  it('item transitions: what followed the last item in training', () => {
    // after x: y twice, z once
    expect(get('itemTransitions').nextItems?.([[e('t', 'x', 0)]], 2)[0]).toEqual(['y', 'z']);
  });

  it('co-occurrence kNN: items seen near the recent ones', () => {
    const ranked = get('cooccurrenceKnn').nextItems?.([[e('t', 'w', 0)]], 3)[0] ?? [];
    expect(ranked.slice(0, 2).sort()).toEqual(['x', 'y']);
  });

  it('gap heuristic scores longer gaps higher; logistic regression gives probabilities', () => {
    const [short, long] =
      get('gapSincePrevious').churn?.([
        [e('t', 'x', 0), e('t', 'y', 1)],
        [e('t', 'x', 0), e('t', 'y', 50)],
      ]) ?? [];
    expect(long).toBeGreaterThan(short ?? 0);
    const [p] = get('churnLogistic').churn?.([[e('t', 'x', 0), e('t', 'y', 1)]]) ?? [];
    expect(p).toBeGreaterThan(0);
    expect(p).toBeLessThan(1);
  });
});
