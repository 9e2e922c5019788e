import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { ActionVocabulary } from '../../src/events/actionVocabulary.js';
import type { UserEvent } from '../../src/events/event.js';
import { userStateKey } from '../../src/features/keys.js';
import { Scripts } from '../../src/features/scripts.js';
import { decodeState, encodeState } from '../../src/features/userState.js';
import {
  type DecideFn,
  type SourcedEvent,
  type StateOutcome,
  type WindowOptions,
  WindowStore,
} from '../../src/features/windowStore.js';
import { removeKeysAndDisconnect, uniqueName } from '../helpers/integration.js';

const config = loadConfig();
let redis: Redis;
let prefix: string;
let offset = 0;

const BASE = Date.UTC(2017, 10, 26);
const event = (userId: string, n: number, tsMs = BASE + n * 1_000): UserEvent => ({
  eventId: `${userId}-e${n}`,
  userId,
  itemId: String(n),
  categoryId: 'c',
  action: 'view',
  tsMs,
});
/** Each call gets fresh offsets, as new messages on the partition would. */
const freshFrom = (source: string, ...events: UserEvent[]): SourcedEvent[] =>
  events.map((e) => ({ event: e, offset: String(offset++), source }));
const fresh = (...events: UserEvent[]): SourcedEvent[] => freshFrom('in:0', ...events);

function store(size: number, options: Partial<WindowOptions> = {}) {
  return new WindowStore(redis, {
    keyPrefix: prefix,
    size,
    dedupeIds: 4,
    ttlMs: 60_000,
    latenessMs: 3_600_000,
    actions: new ActionVocabulary(['view', 'cart']),
    cacheUsers: 1_000,
    ...options,
  });
}

/**
 * Stores with each new event its id and its history's items, and as the model state the number of
 * events the user's model state has seen, so tests can check what the scorer is given.
 */
const historyOutcome: DecideFn = (users) =>
  users.map((user) => ({
    modelState: Buffer.from(String(Number(user.modelState.toString() || 0) + user.events.length)),
    outcomes: user.events.map((e) =>
      Buffer.from(
        `${e.event.eventId}<${e
          .history(Number.POSITIVE_INFINITY)
          .map((h) => h.itemId)
          .join(',')}`,
      ),
    ),
  }));

const readable = (outcomes: StateOutcome[]) =>
  outcomes.map((o) =>
    o.status === 'applied' || o.status === 'remembered' ? { ...o, outcome: o.outcome.toString() } : o,
  );

const items = async (windows: WindowStore, userId: string) =>
  (await windows.read(userId)).map((e) => e.itemId);

beforeAll(() => {
  redis = new Redis(config.redis.url);
  prefix = uniqueName('windows');
});

afterAll(() => removeKeysAndDisconnect(redis, prefix));

describe('WindowStore on real Redis', () => {
  it('keeps the last N events per user and gives each new event its own history', async () => {
    const windows = store(3);
    let calls = 0;
    const outcomes = await windows.apply(
      fresh(event('a', 1), event('b', 1), event('a', 2), event('a', 3), event('a', 4), event('b', 2)),
      (users) => {
        calls++;
        return historyOutcome(users);
      },
    );
    expect(calls).toBe(1);
    expect(readable(outcomes)).toEqual([
      { status: 'applied', placed: false, outcome: 'a-e1<1' },
      { status: 'applied', placed: false, outcome: 'b-e1<1' },
      { status: 'applied', placed: false, outcome: 'a-e2<1,2' },
      { status: 'applied', placed: false, outcome: 'a-e3<1,2,3' },
      { status: 'applied', placed: false, outcome: 'a-e4<2,3,4' },
      { status: 'applied', placed: false, outcome: 'b-e2<1,2' },
    ]);
    expect(await items(windows, 'a')).toEqual(['2', '3', '4']);
    const [entry] = await windows.read('a');
    expect(entry).toEqual({ itemId: '2', categoryId: 'c', action: 'view', tsMs: BASE + 2_000 });
  });

  it('hands the scorer the model state it stored last time', async () => {
    const windows = store(3);
    await windows.apply(fresh(event('m', 1), event('m', 2)), historyOutcome);
    await windows.apply(fresh(event('m', 3)), historyOutcome);
    expect((await windows.readState('m')).modelState.toString()).toBe('3');
  });

  it('answers a replay of the last commit with its stored outcomes and recognises older ones', async () => {
    const windows = store(2);
    const first = fresh(event('c', 1), event('c', 2));
    await windows.apply(first, historyOutcome);
    const last = fresh(event('c', 3), event('c', 4));
    await windows.apply(last, historyOutcome);
    // The same messages again (same offsets), and the same eventId in a new message.
    const replayed = await windows.apply([...first, ...last, ...fresh(event('c', 4))], () => {
      throw new Error('nothing is new');
    });
    expect(readable(replayed)).toEqual([
      { status: 'forgotten' },
      { status: 'forgotten' },
      { status: 'remembered', outcome: 'c-e3<2,3' },
      { status: 'remembered', outcome: 'c-e4<3,4' },
      { status: 'remembered', outcome: 'c-e4<3,4' },
    ]);
    expect(await items(windows, 'c')).toEqual(['3', '4']);
  });

  it('drops the stored outcomes once told they are published, and leaves a newer commit alone', async () => {
    const windows = store(3);
    const key = userStateKey(prefix, 'p');
    const first = fresh(event('p', 1), event('p', 2));
    const published = await windows.apply(first, historyOutcome);
    const withScores = (await redis.getBuffer(key)) as Buffer;
    expect(decodeState(withScores).outcomes).toHaveLength(2);
    await windows.published(published);
    // Dropped later, in one go with other users' (or by the user's next commit).
    expect(await redis.getBuffer(key)).toEqual(withScores);
    await windows.dropPublished();
    // Redis cut them out: the state is otherwise byte for byte what was committed.
    expect(await redis.getBuffer(key)).toEqual(encodeState({ ...decodeState(withScores), outcomes: [] }));
    // Another process (no cached copy) reads what Redis holds: the replay is recognised, not answered.
    const replayed = await store(3).apply(first, () => {
      throw new Error('nothing is new');
    });
    expect(readable(replayed)).toEqual([{ status: 'forgotten' }, { status: 'forgotten' }]);
    expect(await items(windows, 'p')).toEqual(['1', '2']);

    // Outcomes written by a later commit stay until that commit is published.
    const older = await windows.apply(fresh(event('p', 3)), historyOutcome);
    const newer = fresh(event('p', 4));
    await windows.apply(newer, historyOutcome);
    await windows.published(older);
    await windows.dropPublished();
    const again = await store(3).apply(newer, () => {
      throw new Error('nothing is new');
    });
    expect(readable(again)).toEqual([{ status: 'remembered', outcome: 'p-e4<2,3,4' }]);

    // A replay of older, published events carries the unpublished last commit's outcomes along:
    // publishing that replay must not drop them.
    const unpublished = fresh(event('p', 5));
    await windows.apply(unpublished, historyOutcome);
    const olderReplay = await windows.apply(newer, () => {
      throw new Error('nothing is new');
    });
    await windows.published(olderReplay);
    await windows.dropPublished();
    const last = await store(3).apply(unpublished, () => {
      throw new Error('nothing is new');
    });
    expect(readable(last)).toEqual([{ status: 'remembered', outcome: 'p-e5<3,4,5' }]);
  });

  it('drops published outcomes within a second, and sends no drop for a user committed again since', async () => {
    const windows = store(3);
    const stored = async (userId: string) =>
      decodeState((await redis.getBuffer(userStateKey(prefix, userId))) as Buffer).outcomes.length;
    const drops = vi.spyOn(Scripts.prototype, 'dropOutcomes');
    try {
      await windows.published(await windows.apply(fresh(event('q', 1), event('r', 1)), historyOutcome));
      // q comes back before the drop: this commit replaced the published outcomes with its own.
      await windows.apply(fresh(event('q', 2)), historyOutcome);
      await vi.waitFor(async () => expect(await stored('r')).toBe(0), { timeout: 3_000, interval: 50 });
      expect(await stored('q')).toBe(1);
      expect(drops.mock.calls.flatMap(([queued]) => queued.map((drop) => drop.key))).toEqual([
        userStateKey(prefix, 'r'),
      ]);
    } finally {
      drops.mockRestore();
    }
  });

  it('recognises a repeated eventId among the recent ones, and a replayed offset after that', async () => {
    const windows = store(5, { dedupeIds: 2 });
    await windows.apply(fresh(event('d', 1)), historyOutcome);
    await windows.apply(fresh(event('d', 2)), historyOutcome);
    const [repeat] = await windows.apply(fresh(event('d', 1)), historyOutcome);
    expect(repeat).toEqual({ status: 'forgotten' });
    expect(await items(windows, 'd')).toEqual(['1', '2']);
    // Offsets are per source partition: the same offset from another partition is a new message.
    const [other] = await windows.apply(
      [{ event: event('d', 5), offset: '0', source: 'in:1' }],
      historyOutcome,
    );
    expect(other?.status).toBe('applied');
    // Within one batch too: each event is checked against the offset of its own partition.
    const [replayed, fromOther] = await windows.apply(
      [
        { event: event('d', 6), offset: '0', source: 'in:0' },
        { event: event('d', 7), offset: '1', source: 'in:1' },
      ],
      historyOutcome,
    );
    expect(replayed).toEqual({ status: 'forgotten' });
    expect(fromOther?.status).toBe('applied');
  });

  it('places a late event by event time and scores it on what came before it', async () => {
    const windows = store(4);
    await windows.apply(fresh(event('e', 1), event('e', 3), event('e', 4)), historyOutcome);
    const [late] = await windows.apply(fresh(event('e', 2)), historyOutcome);
    expect(readable([late as StateOutcome])).toEqual([
      { status: 'applied', placed: true, outcome: 'e-e2<1,2' },
    ]);
    expect(await items(windows, 'e')).toEqual(['1', '2', '3', '4']);
    // Equal event times keep their arrival order.
    await windows.apply(fresh({ ...event('e', 5), tsMs: BASE + 3_000 }), historyOutcome);
    expect(await items(windows, 'e')).toEqual(['2', '3', '5', '4']);
    expect((await windows.read('e')).map((entry) => entry.tsMs - BASE)).toEqual([2_000, 3_000, 3_000, 4_000]);
  });

  it('rejects events beyond the lateness bound or older than a full window, and remembers that', async () => {
    const windows = store(2, { latenessMs: 20_000 });
    await windows.apply(fresh(event('f', 20), event('f', 30)), historyOutcome);
    const late = fresh(event('f', 5), event('f', 15));
    const outcomes = await windows.apply(late, historyOutcome);
    expect(outcomes).toEqual<StateOutcome[]>([
      { status: 'late', replayed: false, lateness: { kind: 'lateness', referenceMs: BASE + 30_000 } },
      { status: 'late', replayed: false, lateness: { kind: 'window', referenceMs: BASE + 20_000 } },
    ]);
    expect(await items(windows, 'f')).toEqual(['20', '30']);
    const replayed = await windows.apply(late, historyOutcome);
    expect(replayed.map((o) => o.status === 'late' && o.replayed)).toEqual([true, true]);
  });

  it('gives a repeat within one batch the outcome of the first', async () => {
    const windows = store(3);
    const outcomes = await windows.apply(fresh(event('g', 1), event('g', 1)), historyOutcome);
    expect(readable(outcomes)).toEqual([
      { status: 'applied', placed: false, outcome: 'g-e1<1' },
      { status: 'remembered', outcome: 'g-e1<1' },
    ]);
    expect(await items(windows, 'g')).toEqual(['1']);
  });

  it('decides again when the state changes between read and write, and writes nothing before', async () => {
    let conflicts = 0;
    const windows = store(3, { onConflict: (users) => (conflicts += users) });
    const rival = store(3);
    let round = 0;
    const outcomes = await windows.apply(fresh(event('h', 2)), async (users) => {
      if (round++ === 0) {
        expect(await items(windows, 'h')).toEqual([]);
        // Another source partition, so that its offset says nothing about ours.
        await rival.apply(freshFrom('in:1', event('h', 1)), historyOutcome);
      }
      return historyOutcome(users);
    });
    expect(conflicts).toBe(1);
    expect(readable(outcomes)).toEqual([{ status: 'applied', placed: false, outcome: 'h-e2<1,2' }]);
    // The rival's write also left the first store's copy stale: its next write must see that.
    await rival.apply(freshFrom('in:1', event('h', 3)), historyOutcome);
    await windows.apply(fresh(event('h', 4)), historyOutcome);
    expect(conflicts).toBe(2);
    expect(await items(windows, 'h')).toEqual(['2', '3', '4']);
  });

  it('keeps large windows intact and reads a long history in full', async () => {
    const windows = store(2_500);
    const all = Array.from({ length: 2_501 }, (_, n) => event('i', n));
    await windows.apply(fresh(...all.slice(0, 2_500)), historyOutcome);
    const [outcome] = await windows.apply(fresh(all[2_500] as UserEvent), historyOutcome);
    expect(outcome?.status === 'applied' && outcome.outcome.toString().split(',')).toHaveLength(2_500);
    const kept = await items(windows, 'i');
    expect(kept).toHaveLength(2_500);
    expect([kept[0], kept.at(-1)]).toEqual(['1', '2500']);
  });

  it('keeps one key per user with a TTL, and erases it', async () => {
    const windows = store(2, { ttlMs: 5_000 });
    await windows.apply(fresh(event('j', 1), event('j', 2)), historyOutcome);
    const key = userStateKey(prefix, 'j');
    expect(await redis.keys(`${prefix}:u:{j}*`)).toEqual([key]);
    const ttl = await redis.pttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(5_000);
    expect(await windows.erase('j')).toBe(1);
    expect(await redis.exists(key)).toBe(0);
  });

  it('starts a user again whose stored state cannot be read', async () => {
    const corrupt: string[] = [];
    const windows = store(3, { onCorrupt: (userId) => corrupt.push(userId) });
    await redis.set(userStateKey(prefix, 'k'), 'not a state');
    const [outcome] = await windows.apply(fresh(event('k', 1)), historyOutcome);
    expect(outcome?.status).toBe('applied');
    expect(corrupt).toEqual(['k']);
    expect(await items(windows, 'k')).toEqual(['1']);
  });
});
