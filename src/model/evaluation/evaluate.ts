import { weightedArgmax } from './decisionWeights.js';
import {
  type ActionMetrics,
  actionMetrics,
  type BinaryMetrics,
  binaryMetrics,
  calibrationBins,
  type RankingMetrics,
  rankingMetrics,
} from './metrics.js';
import type { Predictor } from './predictor.js';
import { type EvaluationSplit, historyOf, type SequenceCase } from './protocol.js';

export interface PredictorReport {
  nextAction?: ActionMetrics & { decisionWeights: number[] };
  nextItem?: RankingMetrics & { k: number };
  churn?: BinaryMetrics & { calibration: ReturnType<typeof calibrationBins> | null };
}

export interface ProtocolReport {
  testFrom: string;
  dataEnd: string;
  churnHorizonSeconds: number;
  trainEvents: number;
  nextEventCases: number;
  churnCases: number;
  churnCensored: number;
  k: number;
  [extra: string]: unknown;
}

export interface EvaluationReport {
  protocol: ProtocolReport;
  model: PredictorReport | null;
  baselines: Record<string, PredictorReport>;
}

/** Cases are scored in chunks so that a model's batch tensors stay small. */
const CHUNK = 512;

function inChunks<C extends SequenceCase, R>(
  cases: readonly C[],
  score: (histories: ReturnType<typeof historyOf>[]) => R[],
): R[] {
  const results: R[] = [];
  for (let start = 0; start < cases.length; start += CHUNK) {
    results.push(...score(cases.slice(start, start + CHUNK).map(historyOf)));
  }
  return results;
}

export function evaluatePredictor(
  predictor: Predictor,
  split: EvaluationSplit,
  actions: readonly string[],
  k: number,
): PredictorReport {
  const report: PredictorReport = {};
  const actionIndex = new Map(actions.map((action, i) => [action, i]));
  if (predictor.nextAction) {
    const nextAction = predictor.nextAction.bind(predictor);
    const probabilities = inChunks(split.nextEvent, nextAction);
    const weights = [...(predictor.actionDecisionWeights ?? actions.map(() => 1))];
    const labels = split.nextEvent.map((c) => actionIndex.get(c.target.action) ?? 0);
    const predictions = probabilities.map((row) => weightedArgmax(row, weights));
    report.nextAction = {
      ...actionMetrics(actions, labels, predictions, probabilities),
      decisionWeights: weights,
    };
  }
  if (predictor.nextItems) {
    const nextItems = predictor.nextItems.bind(predictor);
    const rankings = inChunks(split.nextEvent, (histories) => nextItems(histories, k));
    report.nextItem = {
      ...rankingMetrics(
        rankings,
        split.nextEvent.map((c) => c.target.itemId),
        k,
      ),
      k,
    };
  }
  if (predictor.churn) {
    const churn = predictor.churn.bind(predictor);
    const scores = inChunks(split.churn, churn);
    const labels = split.churn.map((c) => c.churned);
    const probabilities = predictor.churnScoresAreProbabilities ?? false;
    report.churn = {
      ...binaryMetrics(scores, labels, probabilities),
      calibration: probabilities ? calibrationBins(scores, labels) : null,
    };
  }
  return report;
}

export function protocolReport(
  split: EvaluationSplit,
  k: number,
  extra: Record<string, unknown> = {},
): ProtocolReport {
  return {
    testFrom: new Date(split.testFromMs).toISOString(),
    dataEnd: new Date(split.dataEndMs).toISOString(),
    churnHorizonSeconds: split.churnHorizonMs / 1000,
    trainEvents: split.train.length,
    nextEventCases: split.nextEvent.length,
    churnCases: split.churn.length,
    churnCensored: split.censored,
    k,
    ...extra,
  };
}
