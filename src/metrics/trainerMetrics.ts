import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** How a retraining run ended: its challenger promoted, rejected by the champion/challenger rule, or an error. */
export const RETRAIN_RESULTS = ['promoted', 'rejected', 'failed'] as const;

/**
 * The trainer process's metrics, on a registry of their own: the trainer and the worker are separate
 * processes, each with its own /metrics.
 */
export function createTrainerMetrics(registry: Registry = new Registry()) {
  const registers = [registry];
  collectDefaultMetrics({ register: registry });
  const metrics = {
    registry,
    retrainRuns: new Counter({
      name: 'seqscore_retrain_runs_total',
      help: 'Retraining runs, by result: promoted, rejected or failed.',
      labelNames: ['result'] as const,
      registers,
    }),
    retrainDurationSeconds: new Histogram({
      name: 'seqscore_retrain_duration_seconds',
      help: 'Wall time of a retraining run, from reading the data to the promotion decision.',
      buckets: [10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200],
      registers,
    }),
    retrainTrainingExamples: new Gauge({
      name: 'seqscore_retrain_training_examples',
      help: 'Training examples used by the last retraining run.',
      registers,
    }),
  };
  for (const result of RETRAIN_RESULTS) metrics.retrainRuns.labels(result).inc(0);
  return metrics;
}

export type TrainerMetrics = ReturnType<typeof createTrainerMetrics>;
