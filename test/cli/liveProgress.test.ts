import { describe, expect, it } from 'vitest';
import { formatLiveFigures, percentile, RecentStats } from '../../src/cli/liveProgress.js';

describe('recent stats for the live progress line', () => {
  it('reports the rate and latency percentiles of the last window only', () => {
    const stats = new RecentStats(2_000);
    stats.record(0, 1_000, [900, 900]);
    stats.record(1_500, 300, [10, 20, 30]);
    stats.record(2_500, 100, [40]);
    const figures = stats.figures(3_000);
    expect(figures.eventsPerSecond).toBe(200);
    expect(figures.p50Ms).toBe(30);
    expect(figures.p99Ms).toBe(40);
  });

  it('shows dashes, not NaN, while nothing was processed recently', () => {
    const stats = new RecentStats(1_000);
    stats.record(0, 10, [5]);
    const figures = stats.figures(5_000);
    expect(figures.eventsPerSecond).toBe(0);
    expect(formatLiveFigures(figures, 42)).toBe('0 events/s  lag 42  p50/p99 -/- ms');
  });

  it('formats the figures in one short line', () => {
    expect(formatLiveFigures({ eventsPerSecond: 812.4, p50Ms: 13.6, p99Ms: 61 }, 120)).toBe(
      '812 events/s  lag 120  p50/p99 14/61 ms',
    );
  });

  it('takes percentiles by rank', () => {
    expect(percentile([1, 2, 3, 4], 0.5)).toBe(3);
    expect(percentile([1, 2, 3, 4], 0.99)).toBe(4);
    expect(percentile([], 0.5)).toBeNaN();
  });
});
