import { describe, expect, it } from 'vitest';
import { syntheticEvents } from '../../src/events/synthetic.js';

describe('synthetic events', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    const a = [...syntheticEvents({ events: 200, seed: 3 })];
    const b = [...syntheticEvents({ events: 200, seed: 3 })];
    const c = [...syntheticEvents({ events: 200, seed: 4 })];
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('has realistic skew: mostly views, popular items, increasing time', () => {
    const events = [...syntheticEvents({ events: 20_000, seed: 1 })];
    const views = events.filter((event) => event.action === 'view').length / events.length;
    expect(views).toBeGreaterThan(0.8);
    expect(views).toBeLessThan(0.95);
    const itemCounts = new Map<string, number>();
    for (const event of events) itemCounts.set(event.itemId, (itemCounts.get(event.itemId) ?? 0) + 1);
    const top = Math.max(...itemCounts.values());
    expect(top).toBeGreaterThan(50 * (events.length / itemCounts.size));
    expect(events.every((event, i) => i === 0 || event.tsMs >= (events[i - 1]?.tsMs ?? 0))).toBe(true);
    expect(new Set(events.map((event) => event.eventId)).size).toBe(events.length);
  });
});
