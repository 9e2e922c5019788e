import { predictLast } from '../inference.js';
import type { SequenceModel } from '../sequenceModel.js';
import type { History, Predictor } from './predictor.js';

/** The model as an evaluation predictor: one forward pass serves all three tasks of a chunk of cases. */
export function modelPredictor(
  model: SequenceModel,
  decisionWeights: readonly number[],
  k: number,
): Predictor {
  let cached: { histories: readonly History[]; predictions: ReturnType<typeof predictLast> } | undefined;
  const predict = (histories: readonly History[]) => {
    if (cached?.histories !== histories)
      cached = { histories, predictions: predictLast(model, histories, k) };
    return cached.predictions;
  };
  return {
    name: 'model',
    nextAction: (histories) => predict(histories).map((p) => p.nextAction),
    actionDecisionWeights: decisionWeights,
    nextItems: (histories, limit) =>
      predict(histories).map((p) => p.nextItems.slice(0, limit).map((item) => item.itemId)),
    churn: (histories) => predict(histories).map((p) => p.churn),
    churnScoresAreProbabilities: true,
  };
}
