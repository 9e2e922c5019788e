/** The figures the demo shows while it replays: recent throughput and latency, and consumer lag. */

export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

export interface LiveFigures {
  eventsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

/**
 * Processed events and their latencies over the last `windowMs`, so the figures follow the run as it
 * goes rather than averaging from its start.
 */
export class RecentStats {
  private readonly batches: { atMs: number; events: number; latenciesMs: readonly number[] }[] = [];

  constructor(private readonly windowMs = 5_000) {}

  record(atMs: number, events: number, latenciesMs: readonly number[]): void {
    this.batches.push({ atMs, events, latenciesMs });
  }

  figures(nowMs: number): LiveFigures {
    while (this.batches.length > 0 && (this.batches[0]?.atMs ?? 0) <= nowMs - this.windowMs) {
      this.batches.shift();
    }
    const events = this.batches.reduce((sum, batch) => sum + batch.events, 0);
    const latencies = this.batches.flatMap((batch) => batch.latenciesMs).sort((a, b) => a - b);
    return {
      eventsPerSecond: events / (this.windowMs / 1000),
      p50Ms: percentile(latencies, 0.5),
      p99Ms: percentile(latencies, 0.99),
    };
  }
}

const ms = (value: number) => (Number.isNaN(value) ? '-' : String(Math.round(value)));

/** One short line: `812 events/s  lag 120  p50/p99 14/61 ms`. */
export function formatLiveFigures(figures: LiveFigures, lag: number): string {
  return `${Math.round(figures.eventsPerSecond)} events/s  lag ${lag}  p50/p99 ${ms(figures.p50Ms)}/${ms(figures.p99Ms)} ms`;
}
