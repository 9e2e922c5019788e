import type { UserEvent } from '../events/event.js';

/**
 * Cleaning before training or evaluation. Unknown actions never get this far (the decoder rejects
 * them and the caller counts them); here we drop events outside a plausible time range, which real
 * logs contain (the Taobao sample has rows dated months before its window), and repeated eventIds.
 */
export interface CleaningOptions {
  /** Events before this are dropped; default: one day before the 0.1% quantile of event times. */
  fromMs?: number;
  /** Events after this are dropped; default: one day after the 99.9% quantile of event times. */
  toMs?: number;
}

export interface CleaningReport {
  input: number;
  kept: number;
  outOfRange: number;
  duplicates: number;
  fromMs: number;
  toMs: number;
}

const DAY_MS = 86_400_000;

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.floor(q * (sorted.length - 1))))] ?? 0;
}

/** A robust range: a handful of wild timestamps cannot stretch it, as min/max would. */
export function plausibleRange(events: readonly UserEvent[]): { fromMs: number; toMs: number } {
  const times = events.map((event) => event.tsMs).sort((a, b) => a - b);
  return { fromMs: quantile(times, 0.001) - DAY_MS, toMs: quantile(times, 0.999) + DAY_MS };
}

export function cleanEvents(
  events: readonly UserEvent[],
  options: CleaningOptions = {},
): { events: UserEvent[]; report: CleaningReport } {
  const range = plausibleRange(events);
  const fromMs = options.fromMs ?? range.fromMs;
  const toMs = options.toMs ?? range.toMs;
  const seen = new Set<string>();
  const kept: UserEvent[] = [];
  let outOfRange = 0;
  let duplicates = 0;
  for (const event of events) {
    if (event.tsMs < fromMs || event.tsMs > toMs) {
      outOfRange++;
      continue;
    }
    const key = `${event.userId}\u0000${event.eventId}`;
    if (seen.has(key)) {
      duplicates++;
      continue;
    }
    seen.add(key);
    kept.push(event);
  }
  return {
    events: kept,
    report: { input: events.length, kept: kept.length, outOfRange, duplicates, fromMs, toMs },
  };
}
