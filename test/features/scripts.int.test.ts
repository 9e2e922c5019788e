import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { userStateKey } from '../../src/features/keys.js';
import { Scripts } from '../../src/features/scripts.js';
import {
  emptyState,
  encodeState,
  outcomesSpan,
  type UserState,
  versionOf,
  withoutOutcomes,
} from '../../src/features/userState.js';
import { removeKeysAndDisconnect, uniqueName } from '../helpers/integration.js';

const config = loadConfig();
let redis: Redis;
let prefix: string;

const TTL_MS = 60_000;
const key = (user: string) => userStateKey(prefix, user);
const userState = (seq: number, outcomes: string[] = []): UserState => ({
  ...emptyState(),
  seq,
  outcomes: outcomes.map((outcome, i) => ({ idHash: Buffer.alloc(8, i + 1), outcome: Buffer.from(outcome) })),
  model: Buffer.from(`model ${seq}`),
});
const state = (seq: number, outcomes: string[] = []): Buffer => encodeState(userState(seq, outcomes));

beforeAll(() => {
  redis = new Redis(config.redis.url);
  prefix = uniqueName('scripts');
});

afterAll(() => removeKeysAndDisconnect(redis, prefix));

// Two users a call: five users take three calls of one pipeline, and each answer must still
// reach its own user.
describe('Scripts on real Redis, in calls of several users', () => {
  it('writes each user whose version is unchanged and answers the others with what Redis holds', async () => {
    const scripts = new Scripts(redis, undefined, 2);
    const taken = state(7);
    await redis.set(key('b'), taken);
    await redis.set(key('d'), state(3));
    const writes = ['a', 'b', 'c', 'd', 'e'].map((user, i) => ({
      key: key(user),
      // b was read as state 6 and d as no state: both changed since.
      expected: user === 'b' ? versionOf(state(6)) : Buffer.alloc(0),
      state: state(10 + i),
    }));
    const results = await scripts.write(writes, TTL_MS);
    expect(results).toEqual([
      { written: true },
      { written: false, current: taken },
      { written: true },
      { written: false, current: state(3) },
      { written: true },
    ]);
    expect(await redis.getBuffer(key('a'))).toEqual(state(10));
    expect(await redis.getBuffer(key('b'))).toEqual(taken);
    expect(await redis.getBuffer(key('e'))).toEqual(state(14));
    expect(await redis.pttl(key('c'))).toBeGreaterThan(TTL_MS - 10_000);
    expect(await redis.pttl(key('b'))).toBe(-1);

    // A missing state is answered as none, wherever it stands in the call.
    const [missing] = await scripts.write(
      [{ key: key('f'), expected: versionOf(state(1)), state: state(2) }],
      TTL_MS,
    );
    expect(missing).toEqual({ written: false, current: null });
  });

  it('drops the outcomes of each state still as committed and leaves the changed ones alone', async () => {
    const scripts = new Scripts(redis, undefined, 2);
    const users = ['p', 'q', 'r', 's', 't'];
    const states = users.map((user, i) => userState(20 + i, [`score of ${user}`, `another of ${user}`]));
    const committed = states.map(encodeState);
    await scripts.write(
      users.map((user, i) => ({ key: key(user), expected: Buffer.alloc(0), state: committed[i] as Buffer })),
      TTL_MS,
    );
    // q was committed again since, with its own outcomes; s is gone.
    await redis.set(key('q'), state(30, ['newer']));
    await redis.del(key('s'));
    const dropped = await scripts.dropOutcomes(
      users.map((user, i) => ({
        key: key(user),
        committed: committed[i] as Buffer,
        span: outcomesSpan(states[i] as UserState),
      })),
      TTL_MS,
    );
    expect(dropped).toEqual([true, false, true, false, true]);
    for (const i of [0, 2, 4]) {
      const user = users[i] as string;
      // The cut Redis made is the one the worker makes to its copy: the state without outcomes.
      const expected = withoutOutcomes(committed[i] as Buffer, outcomesSpan(states[i] as UserState));
      expect(expected).toEqual(state(20 + i));
      expect(await redis.getBuffer(key(user))).toEqual(expected);
    }
    expect(await redis.getBuffer(key('q'))).toEqual(state(30, ['newer']));
    expect(await redis.exists(key('s'))).toBe(0);
  });
});
