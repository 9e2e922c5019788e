import { describe, expect, it } from 'vitest';
import type { UserEvent } from '../../src/events/event.js';
import { cleanEvents } from '../../src/features/cleaning.js';

const DAY = 86_400_000;
const e = (eventId: string, tsMs: number, userId = 'u'): UserEvent => ({
  eventId,
  userId,
  itemId: 'i',
  action: 'view',
  tsMs,
});

describe('cleanEvents', () => {
  it('drops wild timestamps and repeated eventIds, and reports each', () => {
    const base = Date.UTC(2017, 10, 25);
    const events = [
      ...Array.from({ length: 2000 }, (_, i) => e(`e${i}`, base + i * 60_000)),
      e('old', base - 75 * DAY),
      e('e5', base),
    ];
    const { events: kept, report } = cleanEvents(events);
    expect(report).toMatchObject({ input: 2002, kept: 2000, outOfRange: 1, duplicates: 1 });
    expect(kept.some((event) => event.eventId === 'old')).toBe(false);
  });

  it('treats the same eventId of two users as two events, and honours an explicit range', () => {
    const { report } = cleanEvents([e('x', 10 * DAY, 'a'), e('x', 10 * DAY, 'b'), e('y', 20 * DAY)], {
      fromMs: 0,
      toMs: 15 * DAY,
    });
    expect(report).toMatchObject({ kept: 2, outOfRange: 1, duplicates: 0 });
  });
});
