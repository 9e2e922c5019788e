import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export const RETRAIN_RESULTS = ['promoted', 'rejected', 'failed'] as const;
export type RetrainResult = (typeof RETRAIN_RESULTS)[number];

/**
 * The trainer process's metrics (`seqscore trainer`), on a registry of their own: the trainer and
 * the worker are separate processes, each with its own /metrics.
 */
export function createTrainerMetrics(registry: Registry = new Registry()) {
  const registers = [registry];
  collectDefaultMetrics({ register: registry });
  const metrics = {
    registry,
    retrainRuns: new Counter({
      name: 'seqscore_retrain_runs_total',
      help: 'Retraining runs by result: challenger promoted, challenger rejected, or run failed (each failed attempt).',
      labelNames: ['result'] as const,
      registers,
    }),
    retrainSeconds: new Histogram({
      name: 'seqscore_retrain_duration_seconds',
      help: 'Duration of a retraining run, from reading the data to the promotion decision.',
      buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1200, 3600, 7200],
      registers,
    }),
    trainingExamples: new Gauge({
      name: 'seqscore_retrain_training_examples',
      help: 'Events the last retraining run trained on (before its evaluation slice).',
      registers,
    }),
  };
  for (const result of RETRAIN_RESULTS) metrics.retrainRuns.labels(result).inc(0);
  return metrics;
}

export type TrainerMetrics = ReturnType<typeof createTrainerMetrics>;
