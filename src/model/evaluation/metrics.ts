/**
 * Evaluation metrics, written out so that each can be checked against hand-computed values. They
 * take plain arrays: the same functions score the model and every baseline.
 */

export interface ActionMetrics {
  accuracy: number;
  macroF1: number;
  recall: Record<string, number>;
  /** Mean negative log-likelihood of the true class; null when the predictor gives no probabilities. */
  logLoss: number | null;
  /** confusion[true][predicted] */
  confusion: number[][];
}

/** Probabilities are clipped so that one confident miss costs a large but finite penalty. */
const PROBABILITY_FLOOR = 1e-7;

export function argmax(values: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if ((values[i] as number) > (values[best] as number)) best = i;
  return best;
}

export function actionMetrics(
  classes: readonly string[],
  labels: readonly number[],
  predictions: readonly number[],
  probabilities?: readonly (readonly number[])[],
): ActionMetrics {
  const confusion = classes.map(() => classes.map(() => 0));
  labels.forEach((label, i) => {
    const row = confusion[label] as number[];
    const predicted = predictions[i] as number;
    row[predicted] = (row[predicted] as number) + 1;
  });
  let f1Sum = 0;
  const recall: Record<string, number> = {};
  classes.forEach((name, c) => {
    const truePositive = confusion[c]?.[c] ?? 0;
    const actual = (confusion[c] ?? []).reduce((a, b) => a + b, 0);
    const predicted = confusion.reduce((sum, row) => sum + (row[c] ?? 0), 0);
    const classRecall = actual === 0 ? 0 : truePositive / actual;
    const precision = predicted === 0 ? 0 : truePositive / predicted;
    recall[name] = classRecall;
    f1Sum += precision + classRecall === 0 ? 0 : (2 * precision * classRecall) / (precision + classRecall);
  });
  const correct = labels.filter((label, i) => label === predictions[i]).length;
  let logLoss: number | null = null;
  if (probabilities) {
    let total = 0;
    labels.forEach((label, i) => {
      total -= Math.log(Math.max(PROBABILITY_FLOOR, probabilities[i]?.[label] ?? 0));
    });
    logLoss = labels.length === 0 ? 0 : total / labels.length;
  }
  return {
    accuracy: labels.length === 0 ? 0 : correct / labels.length,
    macroF1: f1Sum / classes.length,
    recall,
    logLoss,
    confusion,
  };
}

export interface RankingMetrics {
  hr: number;
  ndcg: number;
  mrr: number;
}

/** HR@k, NDCG@k and MRR@k of ranked lists (best first) against one target each; k = list cut-off. */
export function rankingMetrics(
  rankings: readonly (readonly string[])[],
  targets: readonly string[],
  k: number,
): RankingMetrics {
  let hits = 0;
  let dcg = 0;
  let reciprocal = 0;
  rankings.forEach((ranking, i) => {
    const position = ranking.slice(0, k).indexOf(targets[i] as string);
    if (position < 0) return;
    hits++;
    dcg += 1 / Math.log2(position + 2);
    reciprocal += 1 / (position + 1);
  });
  const n = Math.max(1, rankings.length);
  return { hr: hits / n, ndcg: dcg / n, mrr: reciprocal / n };
}

export interface BinaryMetrics {
  rocAuc: number;
  prAuc: number;
  /** Mean squared error of the probabilities; null when the scores are not probabilities. */
  brier: number | null;
  positives: number;
  count: number;
}

/** ROC-AUC with tied scores counted as half (the Mann-Whitney statistic). */
export function rocAuc(scores: readonly number[], labels: readonly boolean[]): number {
  const order = scores
    .map((score, i) => ({ score, positive: labels[i] as boolean }))
    .sort((a, b) => a.score - b.score);
  let positives = 0;
  let rankSum = 0;
  for (let start = 0; start < order.length; ) {
    let end = start;
    while (end + 1 < order.length && order[end + 1]?.score === order[start]?.score) end++;
    const averageRank = (start + end) / 2 + 1;
    for (let i = start; i <= end; i++) {
      if (order[i]?.positive) {
        positives++;
        rankSum += averageRank;
      }
    }
    start = end + 1;
  }
  const negatives = order.length - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** Average precision: the area under the precision-recall curve as a step function, ties as one step. */
export function averagePrecision(scores: readonly number[], labels: readonly boolean[]): number {
  const order = scores
    .map((score, i) => ({ score, positive: labels[i] as boolean }))
    .sort((a, b) => b.score - a.score);
  const positives = order.filter((entry) => entry.positive).length;
  if (positives === 0) return Number.NaN;
  let truePositives = 0;
  let seen = 0;
  let area = 0;
  for (let start = 0; start < order.length; ) {
    let end = start;
    while (end + 1 < order.length && order[end + 1]?.score === order[start]?.score) end++;
    let newPositives = 0;
    for (let i = start; i <= end; i++) if (order[i]?.positive) newPositives++;
    truePositives += newPositives;
    seen += end - start + 1;
    area += (newPositives / positives) * (truePositives / seen);
    start = end + 1;
  }
  return area;
}

export function binaryMetrics(
  scores: readonly number[],
  labels: readonly boolean[],
  probabilities: boolean,
): BinaryMetrics {
  const brier = probabilities
    ? scores.reduce((sum, p, i) => sum + (p - (labels[i] ? 1 : 0)) ** 2, 0) / Math.max(1, scores.length)
    : null;
  return {
    rocAuc: rocAuc(scores, labels),
    prAuc: averagePrecision(scores, labels),
    brier,
    positives: labels.filter(Boolean).length,
    count: labels.length,
  };
}

/** Mean predicted probability and observed rate per probability bin: the churn calibration curve. */
export function calibrationBins(
  probabilities: readonly number[],
  labels: readonly boolean[],
  bins = 10,
): { meanPredicted: number; observedRate: number; count: number }[] {
  const sums = Array.from({ length: bins }, () => ({ predicted: 0, positive: 0, count: 0 }));
  probabilities.forEach((p, i) => {
    const bin = sums[Math.min(bins - 1, Math.floor(p * bins))] as {
      predicted: number;
      positive: number;
      count: number;
    };
    bin.predicted += p;
    bin.positive += labels[i] ? 1 : 0;
    bin.count++;
  });
  return sums
    .filter((bin) => bin.count > 0)
    .map((bin) => ({
      meanPredicted: bin.predicted / bin.count,
      observedRate: bin.positive / bin.count,
      count: bin.count,
    }));
}
