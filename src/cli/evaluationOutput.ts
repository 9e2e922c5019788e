import type { EvaluationReport, PredictorReport } from '../model/evaluation/evaluate.js';

const fixed = (value: number | null | undefined, digits = 4) =>
  value === null || value === undefined || Number.isNaN(value) ? '-' : value.toFixed(digits);

/** One table per task: the model first, then every baseline that implements the task. */
export function printEvaluationSummary(report: EvaluationReport): void {
  const rows: [string, PredictorReport][] = [
    ...(report.model ? ([['model', report.model]] as [string, PredictorReport][]) : []),
    ...Object.entries(report.baselines),
  ];
  const p = report.protocol;
  console.log(
    `test from ${p.testFrom}: ${p.nextEventCases} next-event cases, ${p.churnCases} churn cases ` +
      `(${p.churnCensored} censored), churn horizon ${p.churnHorizonSeconds / 3600} h, k = ${p.k}`,
  );
  console.log('\nnext action            accuracy  macro-F1  log-loss');
  for (const [name, r] of rows) {
    if (r.nextAction) {
      console.log(
        `  ${name.padEnd(20)} ${fixed(r.nextAction.accuracy).padStart(8)}  ${fixed(r.nextAction.macroF1).padStart(8)}  ${fixed(r.nextAction.logLoss).padStart(8)}`,
      );
    }
  }
  console.log(`\nnext item              HR@${p.k}     NDCG@${p.k}   MRR@${p.k}`);
  for (const [name, r] of rows) {
    if (r.nextItem) {
      console.log(
        `  ${name.padEnd(20)} ${fixed(r.nextItem.hr).padStart(8)}  ${fixed(r.nextItem.ndcg).padStart(8)}  ${fixed(r.nextItem.mrr).padStart(8)}`,
      );
    }
  }
  console.log('\nchurn                  ROC-AUC   PR-AUC    Brier');
  for (const [name, r] of rows) {
    if (r.churn) {
      console.log(
        `  ${name.padEnd(20)} ${fixed(r.churn.rocAuc).padStart(8)}  ${fixed(r.churn.prAuc).padStart(8)}  ${fixed(r.churn.brier).padStart(8)}`,
      );
    }
  }
}
