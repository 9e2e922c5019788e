import type { MetricObjectWithValues, MetricValue } from 'prom-client';
import type { Config } from '../config.js';
import type { ErrorSummary } from '../logger.js';

/** What a scoring thread is started with. */
export interface ScoringThreadData {
  config: Config;
  index: number;
}

/** Requests from the main thread; each answer carries the request's id. */
export type ToScoringThread =
  /** Every thread has loaded its model and clients: join the consumer group now. */
  | { type: 'join' }
  | { type: 'metrics'; id: number }
  | { type: 'health'; id: number }
  | { type: 'stop'; id: number };

export type FromScoringThread =
  | { type: 'prepared' }
  | { type: 'started' }
  /** The pipeline could not start, or stopped consuming for good: the process must exit. */
  | { type: 'fatal'; error: ErrorSummary }
  | { type: 'metrics'; id: number; metrics: MetricObjectWithValues<MetricValue<string>>[] }
  | { type: 'health'; id: number; ready: boolean; details: Record<string, unknown> }
  | { type: 'stopped'; id: number; error?: ErrorSummary };

/** The answer to each kind of request. */
export interface ScoringThreadAnswers {
  metrics: Extract<FromScoringThread, { type: 'metrics' }>;
  health: Extract<FromScoringThread, { type: 'health' }>;
  stop: Extract<FromScoringThread, { type: 'stopped' }>;
}
