import { beforeAll, describe, expect, it } from 'vitest';
import { explainScore } from '../../src/insights/explain.js';
import { initBackend } from '../../src/model/backend.js';
import { predictLast } from '../../src/model/inference.js';
import { ACTIONS, event, tinyModel } from './fixtures.js';

const history = [
  event('u', 0, 'view', 'i1', 'A'),
  event('u', 1, 'view', 'i2', 'B'),
  event('u', 2, 'cart', 'i1', 'A'),
  event('u', 90, 'fav', 'i3', 'A'),
];

beforeAll(async () => {
  await initBackend('cpu', 'training');
});

describe('occlusion explanation', () => {
  it('weighs each event by how much the scores fall without it', () => {
    const model = tinyModel('lstm');
    const explanation = explainScore(model, history);
    const [full] = predictLast(model, [history], 20);
    const predicted = ACTIONS.indexOf(explanation.predictedAction);
    expect(explanation.method).toBe('occlusion');
    expect(explanation.nextActionProbability).toBeCloseTo(Math.max(...(full?.nextAction ?? [])), 5);
    expect(explanation.churn).toBeCloseTo(full?.churn ?? -1, 5);
    expect(explanation.topItem?.itemId).toBe(full?.nextItems[0]?.itemId);
    expect(explanation.events).toHaveLength(4);
    for (const weight of explanation.events) {
      const [without] = predictLast(model, [history.filter((_, j) => j !== weight.index)], 20);
      expect(weight.event).toBe(history[weight.index]);
      expect(weight.nextAction).toBeCloseTo(
        (full?.nextAction[predicted] ?? 0) - (without?.nextAction[predicted] ?? 0),
        5,
      );
      expect(weight.churn).toBeCloseTo((full?.churn ?? 0) - (without?.churn ?? 0), 5);
    }
    expect(explanation.events.some((w) => Math.abs(w.churn) > 1e-6)).toBe(true);
    model.dispose();
  });

  it('predicts the action after the decision weights', () => {
    const model = tinyModel();
    const [full] = predictLast(model, [history], 5);
    const probabilities = full?.nextAction ?? [];
    const least = probabilities.indexOf(Math.min(...probabilities));
    const weights = ACTIONS.map((_, a) => (a === least ? 1e6 : 1));
    expect(explainScore(model, history, weights).predictedAction).toBe(ACTIONS[least]);
    model.dispose();
  });

  it('gives a lone event the whole score and refuses an empty history', () => {
    const model = tinyModel();
    const explanation = explainScore(model, history.slice(0, 1));
    expect(explanation.events[0]?.churn).toBeCloseTo(explanation.churn, 6);
    expect(() => explainScore(model, [])).toThrow(/empty/);
    model.dispose();
  });
});
