import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import type { UserEvent } from '../../src/events/event.js';
import { userKeys } from '../../src/features/keys.js';
import { WindowStore } from '../../src/features/windowStore.js';
import { uniqueName } from '../helpers/integration.js';

const config = loadConfig();
let redis: Redis;
let prefix: string;

const event = (userId: string, n: number): UserEvent => ({
  eventId: `${userId}-e${n}`,
  userId,
  itemId: `i${n}`,
  categoryId: 'c',
  action: 'view',
  tsMs: 1_000 * n,
});

function store(size: number, dedupeIds = size * 2, ttlMs = 60_000) {
  return new WindowStore(redis, { keyPrefix: prefix, size, dedupeIds, ttlMs });
}

beforeAll(() => {
  redis = new Redis(config.redis.url);
  prefix = uniqueName('windows');
});

afterAll(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

describe('WindowStore on real Redis', () => {
  it('keeps the last N events per user in arrival order, one round trip for a mixed batch', async () => {
    const windows = store(3);
    const events = [event('a', 1), event('b', 1), event('a', 2), event('a', 3), event('a', 4), event('b', 2)];
    const outcomes = await windows.append(events);
    expect(outcomes.map((o) => o.status)).toEqual(Array(6).fill('appended'));
    expect(outcomes.map((o) => o.window.map((e) => e.eventId))).toEqual([
      ['a-e1'],
      ['b-e1'],
      ['a-e1', 'a-e2'],
      ['a-e1', 'a-e2', 'a-e3'],
      ['a-e2', 'a-e3', 'a-e4'],
      ['b-e1', 'b-e2'],
    ]);
    expect((await windows.read('a')).map((e) => e.eventId)).toEqual(['a-e2', 'a-e3', 'a-e4']);
    expect(await windows.read('a')).toEqual(outcomes[4]?.window);
  });

  it('ignores a replayed eventId and returns the history it was first scored on', async () => {
    const windows = store(3, 6);
    await windows.append([event('c', 1), event('c', 2), event('c', 3)]);
    const [replay] = await windows.append([event('c', 2)]);
    expect(replay?.status).toBe('duplicate');
    expect(replay?.window.map((e) => e.eventId)).toEqual(['c-e1', 'c-e2']);
    expect(await windows.read('c')).toHaveLength(3);
  });

  it('reports a duplicate whose event has left the window as expired', async () => {
    const windows = store(2, 10);
    await windows.append([event('d', 1), event('d', 2), event('d', 3)]);
    const [replay] = await windows.append([event('d', 1)]);
    expect(replay).toEqual({ status: 'duplicate_expired', window: [] });
    expect((await windows.read('d')).map((e) => e.eventId)).toEqual(['d-e2', 'd-e3']);
  });

  it('forgets ids beyond its capacity and sets a TTL on both keys', async () => {
    const windows = store(2, 2, 5_000);
    await windows.append([event('e', 1), event('e', 2), event('e', 3)]);
    const keys = userKeys(prefix, 'e');
    expect(await redis.zcard(keys.seen)).toBe(2);
    for (const key of [keys.window, keys.seen]) {
      const ttl = await redis.pttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(5_000);
    }
  });
});
