import type { SequenceEvent } from '../features/sequenceEncoding.js';
import { weightedArgmax } from '../model/evaluation/decisionWeights.js';
import { predictLast } from '../model/inference.js';
import type { SequenceModel } from '../model/sequenceModel.js';

/**
 * Which past events drove a score, by occlusion: each event the model reads is dropped in turn, the
 * history is scored again, and the event's weight is how much the score fell without it (negative:
 * the event held the score down). Three scores are explained: the probability of the predicted next
 * action, the churn probability and the score of the top next item.
 *
 * Occlusion serves every architecture alike. The attention encoder's attention weights are internal
 * to src/model/encoders.ts and mix two blocks, so they are not read out here; occlusion measures the
 * effect on the published score directly, which attention weights do not.
 */
export interface EventWeight {
  /** Position in the explained window, oldest first. */
  index: number;
  event: SequenceEvent & { eventId?: string };
  /** Fall of P(predicted action) without this event. */
  nextAction: number;
  /** Fall of P(churn) without this event. */
  churn: number;
  /** Fall of the top item's score without this event. */
  topItem: number;
}

export interface Explanation {
  method: 'occlusion';
  predictedAction: string;
  nextActionProbability: number;
  churn: number;
  topItem: { itemId: string; score: number } | null;
  /** The events the model reads (the last maxLength), oldest first. */
  events: EventWeight[];
}

export function explainScore(
  model: SequenceModel,
  history: readonly (SequenceEvent & { eventId?: string })[],
  decisionWeights?: readonly number[],
): Explanation {
  if (history.length === 0) throw new Error('there is nothing to explain: the history is empty');
  const window = history.slice(-model.config.maxLength);
  const actions = model.vocabularies.actions.actions;
  // Enough items that the baseline's top item is still listed when one event is dropped.
  const k = model.config.maxLength + 10;
  const occluded = window.length > 1 ? window.map((_, i) => window.filter((__, j) => j !== i)) : [];
  const [baseline, ...without] = predictLast(model, [window, ...occluded], k);
  if (!baseline) throw new Error('the model returned no prediction');
  const predicted = weightedArgmax(baseline.nextAction, decisionWeights ?? []);
  const top = baseline.nextItems[0] ?? null;
  const itemScore = (items: readonly { itemId: string; score: number }[]) =>
    items.find((item) => item.itemId === top?.itemId)?.score ?? 0;
  return {
    method: 'occlusion',
    predictedAction: actions[predicted] as string,
    nextActionProbability: baseline.nextAction[predicted] as number,
    churn: baseline.churn,
    topItem: top,
    events: window.map((event, index) => {
      const other = without[index];
      // A lone event has nothing left to score without it: the whole score is its doing.
      return {
        index,
        event,
        nextAction: (baseline.nextAction[predicted] as number) - (other?.nextAction[predicted] ?? 0),
        churn: baseline.churn - (other?.churn ?? 0),
        topItem: top ? top.score - (other ? itemScore(other.nextItems) : 0) : 0,
      };
    }),
  };
}
