import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { REJECT_REASONS } from '../events/decoder.js';

/** The stages of a micro-batch that can fail, as metric labels ('other': anything unexpected). */
export const BATCH_STAGES = ['state', 'publish', 'other'] as const;
export type BatchStage = (typeof BATCH_STAGES)[number];

/**
 * Every metric seqscore exports, in one place, on a registry of its own so tests can make a fresh
 * one. Names follow Prometheus conventions: counters end in _total, durations are in seconds.
 */
export function createMetrics(registry: Registry = new Registry()) {
  const registers = [registry];
  collectDefaultMetrics({ register: registry });
  const metrics = {
    registry,
    eventsConsumed: new Counter({
      name: 'seqscore_events_consumed_total',
      help: 'Messages read from the input topic, valid or not.',
      registers,
    }),
    eventsInvalid: new Counter({
      name: 'seqscore_events_invalid_total',
      help: 'Input messages rejected to the dead-letter topic, by reason.',
      labelNames: ['reason'] as const,
      registers,
    }),
    duplicateEvents: new Counter({
      name: 'seqscore_events_duplicate_total',
      help: 'Replayed or repeated events: republished with the score stored for them, or skipped (expired) when their eventId is no longer remembered.',
      labelNames: ['outcome'] as const,
      registers,
    }),
    lateEvents: new Counter({
      name: 'seqscore_events_late_total',
      help: 'Events that arrived after newer ones of the same user: placed by event time within the window, or rejected as too late.',
      labelNames: ['outcome'] as const,
      registers,
    }),
    stateConflicts: new Counter({
      name: 'seqscore_state_conflicts_total',
      help: 'Users whose state changed between planning and committing a batch (planned again).',
      registers,
    }),
    batchRetries: new Counter({
      name: 'seqscore_batch_retries_total',
      help: 'Micro-batch attempts that failed and were retried, by the stage that failed.',
      labelNames: ['stage'] as const,
      registers,
    }),
    consumerPaused: new Gauge({
      name: 'seqscore_consumer_paused_partitions',
      help: 'Input partitions paused while their micro-batch waits to be retried.',
      registers,
    }),
    bufferedMessages: new Gauge({
      name: 'seqscore_consumer_buffered_messages',
      help: 'Messages fetched from Kafka and not yet processed (bounded by SEQSCORE_FETCH_MAX_BYTES).',
      registers,
    }),
    scoresPublished: new Counter({
      name: 'seqscore_scores_published_total',
      help: 'Score messages acknowledged by the output topic.',
      registers,
    }),
    deadLettersPublished: new Counter({
      name: 'seqscore_dead_letters_published_total',
      help: 'Dead-letter records acknowledged by the dead-letter topic.',
      registers,
    }),
    eventToScoreSeconds: new Histogram({
      name: 'seqscore_event_to_score_seconds',
      help: 'From the input message timestamp to the acknowledgement of its score.',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    batchStageSeconds: new Histogram({
      name: 'seqscore_batch_stage_seconds',
      help: 'Time spent per micro-batch in each stage of the pipeline.',
      labelNames: ['stage'] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    batchEvents: new Histogram({
      name: 'seqscore_batch_events',
      help: 'Messages per micro-batch.',
      buckets: [1, 10, 50, 100, 250, 500, 1000, 5000],
      registers,
    }),
    consumerLag: new Gauge({
      name: 'seqscore_consumer_lag_messages',
      help: 'Messages between the last processed offset and the partition high watermark.',
      labelNames: ['topic', 'partition'] as const,
      registers,
    }),
    modelInfo: new Gauge({
      name: 'seqscore_model_info',
      help: 'The model in use (value 1), with its version, architecture and TensorFlow.js backend.',
      labelNames: ['version', 'architecture', 'backend'] as const,
      registers,
    }),
    modelEvaluation: new Gauge({
      name: 'seqscore_model_evaluation',
      help: "The model in use: its metrics on its evaluation period (from the model folder's evaluation).",
      labelNames: ['metric'] as const,
      registers,
    }),
    modelSwaps: new Counter({
      name: 'seqscore_model_swaps_total',
      help: 'Promoted model versions switched to between two micro-batches, or refused (unreadable or incompatible; the model in use is kept).',
      labelNames: ['result'] as const,
      registers,
    }),
  };
  for (const result of ['switched', 'refused']) metrics.modelSwaps.labels(result).inc(0);
  for (const reason of REJECT_REASONS) metrics.eventsInvalid.labels(reason).inc(0);
  for (const stage of BATCH_STAGES) metrics.batchRetries.labels(stage).inc(0);
  return metrics;
}

export type Metrics = ReturnType<typeof createMetrics>;

export const RETRAIN_RESULTS = ['promoted', 'rejected', 'failed'] as const;
export type RetrainResult = (typeof RETRAIN_RESULTS)[number];

/** The trainer process's metrics (`seqscore trainer`), on a registry of its own. */
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
