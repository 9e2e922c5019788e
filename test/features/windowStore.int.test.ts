import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import type { UserEvent } from '../../src/events/event.js';
import { allUserKeys, userKeys } from '../../src/features/keys.js';
import { encodeWindowEntry, toWindowEntry } from '../../src/features/windowEntry.js';
import {
  type NewEvent,
  type SourcedEvent,
  type StateOutcome,
  type WindowOptions,
  WindowStore,
} from '../../src/features/windowStore.js';
import { uniqueName } from '../helpers/integration.js';

const config = loadConfig();
let redis: Redis;
let prefix: string;
let offset = 0;

const BASE = Date.UTC(2017, 10, 26);
const event = (userId: string, n: number, tsMs = BASE + n * 1_000): UserEvent => ({
  eventId: `${userId}-e${n}`,
  userId,
  itemId: `i${n}`,
  categoryId: 'c',
  action: 'view',
  tsMs,
});
/** Each call gets fresh offsets, as new messages on the topic would. */
const fresh = (...events: UserEvent[]): SourcedEvent[] =>
  events.map((e) => ({ event: e, offset: String(offset++) }));

function store(size: number, options: Partial<WindowOptions> = {}) {
  return new WindowStore(redis, {
    keyPrefix: prefix,
    size,
    dedupeIds: size * 2,
    ttlMs: 60_000,
    latenessMs: 3_600_000,
    ...options,
  });
}

/** The outcome stored with a new event: its id and the ids of its history, so tests can check both. */
const historyOutcome = (events: readonly NewEvent[]) =>
  events.map((e) => `${e.event.eventId}<${e.history.map((h) => h.eventId).join(',')}`);

const ids = async (windows: WindowStore, userId: string) =>
  (await windows.read(userId)).map((e) => e.eventId);

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
  it('keeps the last N events per user and gives each new event its own history', async () => {
    const windows = store(3);
    let calls = 0;
    const outcomes = await windows.apply(
      fresh(event('a', 1), event('b', 1), event('a', 2), event('a', 3), event('a', 4), event('b', 2)),
      'in:0',
      (events) => {
        calls++;
        return historyOutcome(events);
      },
    );
    expect(calls).toBe(1);
    expect(outcomes).toEqual([
      { status: 'applied', placed: false, outcome: 'a-e1<a-e1' },
      { status: 'applied', placed: false, outcome: 'b-e1<b-e1' },
      { status: 'applied', placed: false, outcome: 'a-e2<a-e1,a-e2' },
      { status: 'applied', placed: false, outcome: 'a-e3<a-e1,a-e2,a-e3' },
      { status: 'applied', placed: false, outcome: 'a-e4<a-e2,a-e3,a-e4' },
      { status: 'applied', placed: false, outcome: 'b-e2<b-e1,b-e2' },
    ]);
    expect(await ids(windows, 'a')).toEqual(['a-e2', 'a-e3', 'a-e4']);
  });

  it('answers a replay with the stored outcome, however far the window has moved since', async () => {
    const windows = store(2, { dedupeIds: 10 });
    const first = fresh(event('c', 1), event('c', 2));
    await windows.apply(first, 'in:0', historyOutcome);
    await windows.apply(fresh(event('c', 3), event('c', 4)), 'in:0', historyOutcome);
    // The same messages again (same offsets), and the same eventId in a new message.
    const replayed = await windows.apply([...first, ...fresh(event('c', 2))], 'in:0', () => {
      throw new Error('nothing is new');
    });
    expect(replayed).toEqual([
      { status: 'remembered', outcome: 'c-e1<c-e1' },
      { status: 'remembered', outcome: 'c-e2<c-e1,c-e2' },
      { status: 'remembered', outcome: 'c-e2<c-e1,c-e2' },
    ]);
    expect(await ids(windows, 'c')).toEqual(['c-e3', 'c-e4']);
  });

  it('never applies a replayed message twice, even once its eventId is forgotten', async () => {
    const windows = store(2, { dedupeIds: 2 });
    const first = fresh(event('d', 1));
    await windows.apply(first, 'in:0', historyOutcome);
    await windows.apply(fresh(event('d', 2), event('d', 3), event('d', 4)), 'in:0', historyOutcome);
    const [replay] = await windows.apply(first, 'in:0', historyOutcome);
    expect(replay).toEqual({ status: 'forgotten' });
    expect(await ids(windows, 'd')).toEqual(['d-e3', 'd-e4']);
    // Offsets are per source partition: the same offset from another partition is a new message.
    const [other] = await windows.apply(
      [{ event: event('d', 5), offset: first[0]!.offset }],
      'in:1',
      historyOutcome,
    );
    expect(other?.status).toBe('applied');
  });

  it('places a late event by event time and scores it on what came before it', async () => {
    const windows = store(4);
    await windows.apply(fresh(event('e', 1), event('e', 3), event('e', 4)), 'in:0', historyOutcome);
    const [late] = await windows.apply(fresh(event('e', 2)), 'in:0', historyOutcome);
    expect(late).toEqual({ status: 'applied', placed: true, outcome: 'e-e2<e-e1,e-e2' });
    expect(await ids(windows, 'e')).toEqual(['e-e1', 'e-e2', 'e-e3', 'e-e4']);
    // Equal event times keep their arrival order.
    await windows.apply(fresh({ ...event('e', 5), tsMs: BASE + 3_000 }), 'in:0', historyOutcome);
    expect(await ids(windows, 'e')).toEqual(['e-e2', 'e-e3', 'e-e5', 'e-e4']);
  });

  it('rejects events beyond the lateness bound or older than a full window, and remembers that', async () => {
    const windows = store(2, { latenessMs: 20_000 });
    await windows.apply(fresh(event('f', 20), event('f', 30)), 'in:0', historyOutcome);
    const late = fresh(event('f', 5), event('f', 15));
    const outcomes = await windows.apply(late, 'in:0', historyOutcome);
    expect(outcomes).toEqual<StateOutcome[]>([
      { status: 'late', replayed: false, lateness: { kind: 'lateness', referenceMs: BASE + 30_000 } },
      { status: 'late', replayed: false, lateness: { kind: 'window', referenceMs: BASE + 20_000 } },
    ]);
    expect(await ids(windows, 'f')).toEqual(['f-e20', 'f-e30']);
    const replayed = await windows.apply(late, 'in:0', historyOutcome);
    expect(replayed.map((o) => o.status === 'late' && o.replayed)).toEqual([true, true]);
  });

  it('gives a repeat within one batch the outcome of the first', async () => {
    const windows = store(3);
    const outcomes = await windows.apply(fresh(event('g', 1), event('g', 1)), 'in:0', historyOutcome);
    expect(outcomes).toEqual([
      { status: 'applied', placed: false, outcome: 'g-e1<g-e1' },
      { status: 'remembered', outcome: 'g-e1<g-e1' },
    ]);
    expect(await ids(windows, 'g')).toEqual(['g-e1']);
  });

  it('plans again when the state changes between plan and commit, and writes nothing before', async () => {
    let conflicts = 0;
    const windows = store(3, { onConflict: (users) => (conflicts += users) });
    const rival = store(3);
    let round = 0;
    const outcomes = await windows.apply(fresh(event('h', 2)), 'in:0', async (events) => {
      if (round++ === 0) {
        expect(await ids(windows, 'h')).toEqual([]);
        // Another source partition, so that its offset says nothing about ours.
        await rival.apply(fresh(event('h', 1)), 'in:1', historyOutcome);
      }
      return historyOutcome(events);
    });
    expect(conflicts).toBe(1);
    expect(outcomes).toEqual([{ status: 'applied', placed: false, outcome: 'h-e2<h-e1,h-e2' }]);
  });

  it('keeps large windows (beyond the Lua stack limit) intact', async () => {
    const windows = store(2_500);
    const filled = Array.from({ length: 2_500 }, (_, n) => encodeWindowEntry(toWindowEntry(event('i', n))));
    await redis.rpush(userKeys(prefix, 'i').window, ...filled);
    const [outcome] = await windows.apply(fresh(event('i', 2_500)), 'in:0', historyOutcome);
    expect(outcome?.status === 'applied' && outcome.outcome.split(',')).toHaveLength(2_500);
    const kept = await ids(windows, 'i');
    expect(kept).toHaveLength(2_500);
    expect([kept[0], kept.at(-1)]).toEqual(['i-e1', 'i-e2500']);
  });

  it('sets a TTL on every key and erases them all', async () => {
    const windows = store(2, { dedupeIds: 2, ttlMs: 5_000 });
    await windows.apply(fresh(event('j', 1), event('j', 2)), 'in:0', historyOutcome);
    await windows.apply(fresh(event('j', 3)), 'in:0', historyOutcome);
    const keys = allUserKeys(userKeys(prefix, 'j'));
    expect(await redis.zcard(userKeys(prefix, 'j').seen)).toBe(2);
    for (const key of keys) {
      const ttl = await redis.pttl(key);
      expect(ttl, key).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(5_000);
    }
    expect(await windows.erase('j')).toBe(4);
    expect(await redis.exists(...keys)).toBe(0);
  });
});
