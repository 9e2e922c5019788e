import type { PredictorReport } from '../model/evaluation/evaluate.js';

/**
 * The champion/challenger rule: a challenger is promoted only if, on every primary metric, it is not
 * worse than the champion by more than the tolerance (an absolute difference). Both are evaluated by
 * the same protocol on the same cases, so their metrics are directly comparable.
 */

export interface PromotionRule {
  metrics: readonly string[];
  tolerance: number;
}

type Direction = 'higher' | 'lower';

/** Metric name pattern -> which way is better. Item metrics carry their cut-off, e.g. _at_10. */
const METRIC_DIRECTIONS: readonly [RegExp, Direction][] = [
  [/^next_action_(accuracy|f1)$/, 'higher'],
  [/^next_action_log_loss$/, 'lower'],
  [/^next_item_(hit_rate|ndcg|mrr)_at_\d+$/, 'higher'],
  [/^churn_(auc|pr_auc)$/, 'higher'],
  [/^churn_brier$/, 'lower'],
];

export function metricDirection(metric: string): Direction | undefined {
  return METRIC_DIRECTIONS.find(([pattern]) => pattern.test(metric))?.[1];
}

/** An evaluation as flat named metrics (the names of SEQSCORE_PROMOTE_METRICS and of the gauges). */
export function evaluationMetrics(report: PredictorReport | null | undefined): Record<string, number> {
  if (!report) return {};
  const metrics: Record<string, number | null | undefined> = {};
  if (report.nextAction) {
    metrics.next_action_accuracy = report.nextAction.accuracy;
    metrics.next_action_f1 = report.nextAction.macroF1;
    metrics.next_action_log_loss = report.nextAction.logLoss;
  }
  if (report.nextItem) {
    const k = report.nextItem.k;
    metrics[`next_item_hit_rate_at_${k}`] = report.nextItem.hr;
    metrics[`next_item_ndcg_at_${k}`] = report.nextItem.ndcg;
    metrics[`next_item_mrr_at_${k}`] = report.nextItem.mrr;
  }
  // Without churn cases (all censored) there is nothing to measure, and Brier's empty mean reads 0.
  if (report.churn && report.churn.count > 0) {
    metrics.churn_auc = report.churn.rocAuc;
    metrics.churn_pr_auc = report.churn.prAuc;
    metrics.churn_brier = report.churn.brier;
  }
  // A metric without a value (AUC of one class only, JSON's null for NaN) is left out, not zeroed.
  return Object.fromEntries(
    Object.entries(metrics).filter((entry): entry is [string, number] => Number.isFinite(entry[1])),
  );
}

export interface MetricComparison {
  metric: string;
  challenger: number | null;
  champion: number | null;
  better: Direction;
  /** Worse than the champion by more than the tolerance, or missing on the challenger. */
  worse: boolean;
}

export interface PromotionDecision {
  promote: boolean;
  reason: string;
  comparisons: MetricComparison[];
}

export function decidePromotion(
  challenger: PredictorReport | null,
  champion: PredictorReport | null,
  rule: PromotionRule,
): PromotionDecision {
  const ours = evaluationMetrics(challenger);
  const theirs = evaluationMetrics(champion);
  const comparisons = rule.metrics.map((metric): MetricComparison => {
    const better = metricDirection(metric) ?? 'higher';
    const mine = ours[metric] ?? null;
    const other = champion ? (theirs[metric] ?? null) : null;
    let worse = mine === null;
    if (mine !== null && other !== null) {
      worse = better === 'higher' ? mine < other - rule.tolerance : mine > other + rule.tolerance;
    }
    return { metric, challenger: mine, champion: other, better, worse };
  });
  const missing = comparisons.filter((c) => c.challenger === null).map((c) => c.metric);
  if (missing.length > 0) {
    return { promote: false, reason: `the challenger has no value for ${missing.join(', ')}`, comparisons };
  }
  if (!champion) return { promote: true, reason: 'there is no champion to compare with', comparisons };
  const worse = comparisons.filter((c) => c.worse).map((c) => c.metric);
  if (worse.length > 0) {
    return {
      promote: false,
      reason: `worse than the champion by more than ${rule.tolerance} on ${worse.join(', ')}`,
      comparisons,
    };
  }
  return {
    promote: true,
    reason: `not worse than the champion by more than ${rule.tolerance} on any primary metric`,
    comparisons,
  };
}
