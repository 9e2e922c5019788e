import { describe, expect, it } from 'vitest';
import type { EvaluationReport } from '../../../src/model/evaluation/evaluate.js';
import { renderHtmlReport } from '../../../src/model/evaluation/htmlReport.js';

const report: EvaluationReport = {
  protocol: {
    testFrom: '2017-12-01T16:00:00.000Z',
    dataEnd: '2017-12-03T16:00:00.000Z',
    churnHorizonSeconds: 21_600,
    trainEvents: 10,
    nextEventCases: 4,
    churnCases: 3,
    churnCensored: 1,
    k: 10,
  },
  model: {
    nextAction: {
      accuracy: 0.5,
      macroF1: 0.4,
      recall: { view: 1, cart: 0 },
      logLoss: 0.6,
      confusion: [
        [2, 0],
        [2, 0],
      ],
      decisionWeights: [1, 1],
    },
    nextItem: { hr: 0.25, ndcg: 0.2, mrr: 0.15, k: 10 },
    churn: {
      rocAuc: 0.7,
      prAuc: 0.5,
      brier: 0.2,
      positives: 1,
      count: 3,
      calibration: [{ meanPredicted: 0.2, observedRate: 0.3, count: 3 }],
    },
  },
  baselines: { '<recency>': { nextItem: { hr: 0.2, ndcg: 0.1, mrr: 0.05, k: 10 } } },
};

describe('HTML report', () => {
  const html = renderHtmlReport(report);

  it('is one self-contained page: inline SVG, no scripts, no external resources', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('<svg');
    expect(html).not.toMatch(/<script|src=|href=/);
  });

  it('shows the model against the baselines, the calibration curve and the confusion matrix', () => {
    expect(html).toContain('HR@10');
    expect(html).toContain('0.2500');
    expect(html).toContain('Churn calibration');
    expect(html).toContain('<polyline');
    expect(html).toContain('Next-action confusion matrix');
  });

  it('escapes names', () => {
    expect(html).toContain('&lt;recency&gt;');
    expect(html).not.toContain('<recency>');
  });
});
