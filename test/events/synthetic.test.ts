import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/events/random.js';
import { syntheticEvents, zipfSampler } from '../../src/events/synthetic.js';

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

describe('zipfSampler', () => {
  it('draws rank r in proportion to 1 / (r + 1)^s', () => {
    const draw = zipfSampler(1_000, 1, seededRandom(9));
    const counts = new Array<number>(1_000).fill(0);
    for (let n = 0; n < 200_000; n++) {
      const rank = draw();
      counts[rank] = (counts[rank] ?? 0) + 1;
    }
    expect((counts[0] as number) / (counts[1] as number)).toBeGreaterThan(1.8);
    expect((counts[0] as number) / (counts[1] as number)).toBeLessThan(2.2);
    expect((counts[0] as number) / (counts[9] as number)).toBeGreaterThan(8.5);
    expect((counts[0] as number) / (counts[9] as number)).toBeLessThan(11.5);
  });

  it('is uniform with exponent 0, as the users of userSkew 0 are', () => {
    const events = [...syntheticEvents({ events: 20_000, users: 10, userSkew: 0, seed: 2 })];
    const perUser = new Map<string, number>();
    for (const event of events) perUser.set(event.userId, (perUser.get(event.userId) ?? 0) + 1);
    expect(perUser.size).toBe(10);
    for (const count of perUser.values()) expect(Math.abs(count - 2_000)).toBeLessThan(200);
    const skewed = [...syntheticEvents({ events: 20_000, users: 10, seed: 2 })];
    expect(skewed.filter((event) => event.userId === 'u0').length).toBeGreaterThan(3_000);
  });
});
