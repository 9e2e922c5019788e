import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { REJECT_REASONS } from '../events/decoder.js';

/** The stages of a micro-batch that can fail, as metric labels ('other': anything unexpected). */
export const BATCH_STAGES = ['state', 'publish', 'other'] as const;
export type BatchStage = (typeof BATCH_STAGES)[number];
export const MODEL_SWAP_RESULTS = ['switched', 'refused'] as const;
export const USER_STATE_REBUILD_REASONS = ['missing', 'version', 'reordered', 'corrupt'] as const;

export interface MetricsOptions {
  /**
   * Node's process and runtime metrics. A scoring thread leaves them to the main thread: process
   * figures (CPU, memory) summed over threads would count the one process several times.
   */
  processMetrics?: boolean;
}

/**
 * Every metric seqscore exports, in one place, on a registry of its own so tests can make a fresh
 * one. Names follow Prometheus conventions: counters end in _total, durations are in seconds.
 * Threads' registries are summed into the process's /metrics (see scoringThreads.ts); the
 * `aggregator` of a metric says how, where a sum would be wrong.
 */
export function createMetrics({ processMetrics = true }: MetricsOptions = {}) {
  const registry = new Registry();
  const registers = [registry];
  if (processMetrics) collectDefaultMetrics({ register: registry });
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
      help: "Time spent per pass (the micro-batches of one fetch's partitions) in each stage of the pipeline.",
      labelNames: ['stage'] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    batchEvents: new Histogram({
      name: 'seqscore_batch_events',
      help: "Messages per pass (the micro-batches of one fetch's partitions).",
      buckets: [1, 10, 50, 100, 250, 500, 1000, 5000],
      registers,
    }),
    consumerLag: new Gauge({
      name: 'seqscore_consumer_lag_messages',
      help: 'Messages between the last processed offset and the partition high watermark.',
      labelNames: ['topic', 'partition'] as const,
      registers,
    }),
    userStateRebuilds: new Counter({
      name: 'seqscore_user_state_rebuilds_total',
      help: "Users whose recurrent state was rebuilt from their window: none stored, another model's, out-of-order events, or unreadable.",
      labelNames: ['reason'] as const,
      registers,
    }),
    modelInfo: new Gauge({
      name: 'seqscore_model_info',
      help: 'The model in use (value 1), with its version, architecture and TensorFlow.js backend.',
      labelNames: ['version', 'architecture', 'backend'] as const,
      aggregator: 'max',
      registers,
    }),
    modelEvaluation: new Gauge({
      name: 'seqscore_model_evaluation',
      help: "The model in use's offline evaluation, by metric (e.g. next_action_f1, churn_auc).",
      labelNames: ['metric'] as const,
      aggregator: 'max',
      registers,
    }),
    modelSwaps: new Counter({
      name: 'seqscore_model_swaps_total',
      help: 'Promoted models this worker switched to, or refused (unreadable or incompatible) and kept its model.',
      labelNames: ['result'] as const,
      registers,
    }),
    redisErrors: new Counter({
      name: 'seqscore_redis_errors_total',
      help: 'Redis calls that failed, by operation.',
      labelNames: ['operation'] as const,
      registers,
    }),
  };
  for (const result of MODEL_SWAP_RESULTS) metrics.modelSwaps.labels(result).inc(0);
  for (const reason of USER_STATE_REBUILD_REASONS) metrics.userStateRebuilds.labels(reason).inc(0);
  for (const reason of REJECT_REASONS) metrics.eventsInvalid.labels(reason).inc(0);
  for (const stage of BATCH_STAGES) metrics.batchRetries.labels(stage).inc(0);
  return metrics;
}

export type Metrics = ReturnType<typeof createMetrics>;
