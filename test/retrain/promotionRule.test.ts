import { describe, expect, it } from 'vitest';
import type { PredictorReport } from '../../src/model/evaluation/evaluate.js';
import { decidePromotion, evaluationMetrics } from '../../src/retrain/promotionRule.js';

function report(f1: number, logLoss: number, hitRate: number, auc = Number.NaN): PredictorReport {
  return {
    nextAction: { accuracy: 0.5, macroF1: f1, recall: {}, logLoss, confusion: [], decisionWeights: [] },
    nextItem: { hr: hitRate, ndcg: hitRate / 2, mrr: hitRate / 3, k: 10 },
    churn: { rocAuc: auc, prAuc: 0.4, brier: 0.2, positives: 1, count: 2, calibration: null },
  };
}

const rule = {
  metrics: ['next_action_f1', 'next_action_log_loss', 'next_item_hit_rate_at_10'],
  tolerance: 0.01,
};

describe('promotion rule', () => {
  it('flattens a report into named metrics and leaves out those without a value', () => {
    const metrics = evaluationMetrics(report(0.3, 0.8, 0.2));
    expect(metrics).toMatchObject({
      next_action_f1: 0.3,
      next_action_log_loss: 0.8,
      next_item_hit_rate_at_10: 0.2,
      churn_pr_auc: 0.4,
      churn_brier: 0.2,
    });
    expect(metrics).not.toHaveProperty('churn_auc');
    expect(evaluationMetrics(null)).toEqual({});
    const censored = report(0.3, 0.8, 0.2, 0.6);
    if (censored.churn) censored.churn.count = 0;
    expect(Object.keys(evaluationMetrics(censored)).filter((name) => name.startsWith('churn'))).toEqual([]);
  });

  it('promotes a challenger within the tolerance on every primary metric, in the right direction', () => {
    const decision = decidePromotion(report(0.295, 0.805, 0.25), report(0.3, 0.8, 0.2), rule);
    expect(decision.promote).toBe(true);
    expect(decision.comparisons.map((c) => c.worse)).toEqual([false, false, false]);
  });

  it('rejects a challenger worse by more than the tolerance on any one metric, naming it', () => {
    const higherLoss = decidePromotion(report(0.4, 0.82, 0.3), report(0.3, 0.8, 0.2), rule);
    expect(higherLoss.promote).toBe(false);
    expect(higherLoss.reason).toContain('next_action_log_loss');
    const lowerF1 = decidePromotion(report(0.28, 0.5, 0.3), report(0.3, 0.8, 0.2), rule);
    expect(lowerF1.promote).toBe(false);
    expect(lowerF1.comparisons.filter((c) => c.worse).map((c) => c.metric)).toEqual(['next_action_f1']);
  });

  it('promotes without a champion, but never a challenger that lacks a primary metric', () => {
    expect(decidePromotion(report(0.1, 2, 0), null, rule).promote).toBe(true);
    const noAuc = decidePromotion(report(0.4, 0.5, 0.3), null, { metrics: ['churn_auc'], tolerance: 0 });
    expect(noAuc.promote).toBe(false);
    expect(noAuc.reason).toContain('churn_auc');
  });

  it('does not hold a metric the champion lacks against the challenger', () => {
    const decision = decidePromotion(report(0.3, 0.8, 0.2, 0.7), report(0.3, 0.8, 0.2), {
      metrics: ['churn_auc'],
      tolerance: 0,
    });
    expect(decision.promote).toBe(true);
    expect(decision.comparisons[0]).toMatchObject({ challenger: 0.7, champion: null, worse: false });
  });
});
