import type { UserEvent } from '../../events/event.js';

export type History = readonly UserEvent[];

/**
 * Anything the evaluation can score: the model, or a baseline. Each implements the tasks it can;
 * the report shows each predictor under every task it implements, on the same cases.
 */
export interface Predictor {
  name: string;
  /** Probabilities over the action vocabulary, one row per history. */
  nextAction?(histories: readonly History[]): number[][];
  /**
   * Per-class multipliers applied to the probabilities before taking the argmax: a cost-sensitive
   * decision rule, fitted on training data, so rare actions can be predicted at all. Default: all 1.
   */
  actionDecisionWeights?: readonly number[];
  /** The k items most likely to come next, best first, over the whole item vocabulary. */
  nextItems?(histories: readonly History[], k: number): string[][];
  /** A churn score per history; `probabilities` says whether the scores are calibrated probabilities. */
  churn?(histories: readonly History[]): number[];
  churnScoresAreProbabilities?: boolean;
}
