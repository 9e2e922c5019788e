import { describe, expect, it } from 'vitest';
import { fitDecisionWeights, weightedArgmax } from '../../../src/model/evaluation/decisionWeights.js';
import {
  actionMetrics,
  averagePrecision,
  binaryMetrics,
  calibrationBins,
  rankingMetrics,
  rocAuc,
} from '../../../src/model/evaluation/metrics.js';

describe('metrics against hand-computed values', () => {
  it('action metrics: accuracy, macro-F1, recall, log-loss', () => {
    // labels a a b b, predictions a b b b
    const m = actionMetrics(
      ['a', 'b'],
      [0, 0, 1, 1],
      [0, 1, 1, 1],
      [
        [0.5, 0.5],
        [0.25, 0.75],
        [0.1, 0.9],
        [0.2, 0.8],
      ],
    );
    expect(m.accuracy).toBe(0.75);
    // a: precision 1, recall 0.5 -> F1 2/3; b: precision 2/3, recall 1 -> F1 0.8
    expect(m.macroF1).toBeCloseTo((2 / 3 + 0.8) / 2, 10);
    expect(m.recall).toEqual({ a: 0.5, b: 1 });
    expect(m.logLoss).toBeCloseTo(-(Math.log(0.5) + Math.log(0.25) + Math.log(0.9) + Math.log(0.8)) / 4, 10);
    expect(m.confusion).toEqual([
      [1, 1],
      [0, 2],
    ]);
  });

  it('ranking metrics: HR, NDCG and MRR at k', () => {
    const m = rankingMetrics([['x', 'y', 'z'], ['y', 'x'], ['q']], ['x', 'x', 'x'], 2);
    expect(m.hr).toBeCloseTo(2 / 3, 10);
    expect(m.ndcg).toBeCloseTo((1 + 1 / Math.log2(3)) / 3, 10);
    expect(m.mrr).toBeCloseTo((1 + 0.5) / 3, 10);
    expect(rankingMetrics([['y', 'z', 'x']], ['x'], 2).hr).toBe(0);
  });

  it('ROC-AUC counts ties as half, and PR-AUC is average precision', () => {
    expect(rocAuc([0.1, 0.4, 0.35, 0.8], [false, false, true, true])).toBeCloseTo(0.75, 10);
    expect(rocAuc([0.5, 0.5], [false, true])).toBe(0.5);
    // ranking: 0.8 (pos), 0.4 (neg), 0.35 (pos), 0.1 (neg): AP = (1/1 + 2/3) / 2
    expect(averagePrecision([0.1, 0.4, 0.35, 0.8], [false, false, true, true])).toBeCloseTo(
      (1 + 2 / 3) / 2,
      10,
    );
    const binary = binaryMetrics([0.2, 0.9], [false, true], true);
    expect(binary.brier).toBeCloseTo((0.04 + 0.01) / 2, 10);
    expect(binaryMetrics([1, 2], [false, true], false).brier).toBeNull();
  });

  it('calibration bins average the predictions and outcomes in each bin', () => {
    expect(calibrationBins([0.05, 0.15, 0.12], [false, true, false], 10)).toEqual([
      { meanPredicted: 0.05, observedRate: 0, count: 1 },
      { meanPredicted: (0.15 + 0.12) / 2, observedRate: 0.5, count: 2 },
    ]);
  });

  it('decision weights let a rare class be predicted when that raises macro-F1', () => {
    const probabilities = [
      [0.9, 0.1],
      [0.8, 0.2],
      [0.7, 0.3],
      [0.65, 0.35],
    ];
    const labels = [0, 0, 1, 1];
    const weights = fitDecisionWeights(['a', 'b'], probabilities, labels);
    expect(probabilities.map((row) => weightedArgmax(row, weights))).toEqual(labels);
  });
});
