import { actionMetrics } from './metrics.js';

/** Index of the largest weighted probability. */
export function weightedArgmax(probabilities: readonly number[], weights: readonly number[]): number {
  let best = 0;
  let bestValue = Number.NEGATIVE_INFINITY;
  probabilities.forEach((p, i) => {
    const value = p * (weights[i] ?? 1);
    if (value > bestValue) {
      bestValue = value;
      best = i;
    }
  });
  return best;
}

const GRID = [0.5, 1, 2, 3, 5, 8, 12, 20, 30, 50];

/**
 * Per-class multipliers that maximise macro-F1 on the given cases, by coordinate search over a fixed
 * grid (the first class, the majority in practice, stays at 1). Argmax of raw probabilities almost
 * never predicts a rare action, which makes macro-F1 meaningless; this is the usual remedy.
 */
export function fitDecisionWeights(
  classes: readonly string[],
  probabilities: readonly (readonly number[])[],
  labels: readonly number[],
  rounds = 3,
): number[] {
  const weights = classes.map(() => 1);
  const score = () =>
    actionMetrics(
      classes,
      labels,
      probabilities.map((row) => weightedArgmax(row, weights)),
    ).macroF1;
  let best = score();
  for (let round = 0; round < rounds; round++) {
    for (let c = 1; c < classes.length; c++) {
      for (const candidate of GRID) {
        const previous = weights[c] as number;
        weights[c] = candidate;
        const value = score();
        if (value > best) best = value;
        else weights[c] = previous;
      }
    }
  }
  return weights;
}
