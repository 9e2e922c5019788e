/**
 * The pure arithmetic of the end-to-end benchmark: throughput from output timestamps, latency
 * percentiles over the steady part of a paced run, and the summary the `--json` line carries.
 */

/** Nearest-rank percentile of ascending values: the smallest value with at least q of them at or below it. */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1] as number;
}

/**
 * Events per second between the first and the last output message (Kafka CreateTime in the
 * worker), so that process start-up and group join are left out: `completed` counts the outputs
 * after the first timestamp, since the work behind the first ones was done before the span.
 */
export function throughputFromTimes(completed: number, firstMs: number, lastMs: number): number {
  if (completed < 1 || lastMs <= firstMs) return Number.NaN;
  return (completed * 1000) / (lastMs - firstMs);
}

export interface PacedSample {
  /** Input message timestamp. */
  sentMs: number;
  /** Output message timestamp; undefined if no output had arrived by the deadline. */
  outMs: number | undefined;
}

export interface LatencySummary {
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  /** Events in the steady part, and how many of them had an output by the deadline. */
  offered: number;
  delivered: number;
  /** Outputs per second of the steady part's events (their count over the span of their inputs). */
  deliveredPerSec: number;
  /**
   * Some percentile fell on an event without output: it counts as (deadline - sent), so that
   * percentile is a lower bound (an overloaded mode never catches up; its latency is unbounded).
   */
  lowerBound: boolean;
}

/**
 * Latency over the steady part of a paced run: events sent within `warmupMs` of the first are
 * dropped (connection set-up, JIT, the first fetch). An event without output by `deadlineMs`
 * counts with the latency it had reached then, so missing outputs raise the percentiles rather
 * than vanish from them.
 */
export function summarizeLatency(
  samples: readonly PacedSample[],
  warmupMs: number,
  deadlineMs: number,
): LatencySummary {
  if (samples.length === 0) throw new Error('no events were sent in the paced run');
  const firstSent = samples.reduce((min, sample) => Math.min(min, sample.sentMs), Number.POSITIVE_INFINITY);
  const steady = samples.filter((sample) => sample.sentMs >= firstSent + warmupMs);
  if (steady.length === 0) throw new Error(`the paced run is shorter than its ${warmupMs} ms warm-up`);
  const latencies = steady
    .map((sample) => ({
      ms: (sample.outMs ?? deadlineMs) - sample.sentMs,
      missing: sample.outMs === undefined,
    }))
    .sort((a, b) => a.ms - b.ms);
  const values = latencies.map((latency) => latency.ms);
  const at = (q: number) => latencies[Math.max(1, Math.ceil(q * latencies.length)) - 1];
  const lowerBound = [0.5, 0.95, 0.99].some((q) => at(q)?.missing === true);
  const delivered = steady.filter((sample) => sample.outMs !== undefined).length;
  const spanMs =
    steady.reduce((max, sample) => Math.max(max, sample.sentMs), 0) -
    steady.reduce((min, sample) => Math.min(min, sample.sentMs), Number.POSITIVE_INFINITY);
  return {
    p50Ms: percentile(values, 0.5),
    p95Ms: percentile(values, 0.95),
    p99Ms: percentile(values, 0.99),
    offered: steady.length,
    delivered,
    deliveredPerSec: spanMs > 0 ? (delivered * 1000) / spanMs : Number.NaN,
    lowerBound,
  };
}

/** Events without a score when a paced run was measured, and how many of them were scored later. */
export interface LateScores {
  waiting: number;
  scoredLater: number;
}

export function lateScores(waiting: readonly string[], outputs: ReadonlyMap<string, number>): LateScores {
  return { waiting: waiting.length, scoredLater: waiting.filter((eventId) => outputs.has(eventId)).length };
}

export interface ModeResult {
  eventsPerSec: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  offeredPerSec: number;
}

export interface E2eSummary {
  passthrough: ModeResult;
  naive: ModeResult;
  seqscore: ModeResult;
  window20: { eventsPerSec: number };
  window200: { eventsPerSec: number };
  redisBytesPerUser: number;
}

/** JSON has no NaN: a figure that could not be measured is written as null. */
export function summaryJson(summary: E2eSummary): string {
  return JSON.stringify(summary, (_, value) =>
    typeof value === 'number' && !Number.isFinite(value) ? null : value,
  );
}

/**
 * Events/s of several runs of one configuration taken together: all their measured events over all
 * their time, so a longer run weighs more and one slow run is not averaged away.
 */
export function pooledRate(runs: readonly { eventsPerSec: number; measured: number }[]): number {
  const events = runs.reduce((sum, run) => sum + run.measured, 0);
  const seconds = runs.reduce((sum, run) => sum + run.measured / run.eventsPerSec, 0);
  return seconds > 0 ? events / seconds : Number.NaN;
}

export function ratio(numerator: number, denominator: number): number {
  return denominator > 0 ? numerator / denominator : Number.NaN;
}
