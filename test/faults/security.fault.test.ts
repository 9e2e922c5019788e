import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { userIdMapper } from '../../src/events/userIds.js';
import { userStateKey } from '../../src/features/keys.js';
import { kafkaAnswers, redisAnswers, stackDown, stackUp } from '../../src/stack/index.js';
import { uniqueName } from '../helpers/integration.js';
import {
  cleanUp,
  faultStack,
  faultTest,
  PAYLOAD_MARKER,
  prepareStream,
  produceAll,
  runCli,
  verify,
  WorkerProcess,
} from './harness.js';
import { freePort, freePortPair } from './ports.js';

const KAFKA_SECRET = 'kafka-secret-5e1d';
const ADMIN_SECRET = 'redis-admin-secret-c4a2';
const WORKER_SECRET = 'redis-worker-secret-9b07';
const USER_ID_KEY = 'user-id-key-0123456789abcdef0123456789';
const SECRETS = [KAFKA_SECRET, ADMIN_SECRET, WORKER_SECRET, USER_ID_KEY];

/**
 * A stack instance of its own: a broker whose only listener wants SASL (the user's SCRAM credentials
 * created at format time), and a Redis whose default user has a password. The worker connects with
 * SCRAM-SHA-512 and as a restricted Redis ACL user, and pseudonymises user ids.
 */
describe('SASL/SCRAM to Kafka, a Redis ACL user, pseudonymised user ids', () => {
  const stackEnv: Record<string, string> = {};
  let stateDir: string;

  beforeAll(async () => {
    Object.assign(stackEnv, {
      KAFKA_BROKERS: `127.0.0.1:${await freePortPair()}`,
      REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'seqscore',
      KAFKA_SASL_PASSWORD: KAFKA_SECRET,
      REDIS_PASSWORD: ADMIN_SECRET,
    });
    stateDir = join(faultStack().workDir, 'secure-stack');
    await stackUp({
      stateDir,
      env: { ...process.env, ...stackEnv },
      onProgress: (line) => console.log(`[secure stack] ${line}`),
    });
  });

  afterAll(async () => {
    await stackDown({ stateDir, env: { ...process.env, ...stackEnv } });
  });

  it('accepts the configured credentials with PLAIN and SCRAM, and refuses wrong ones', async () => {
    const config = loadConfig(stackEnv);
    const sasl = config.kafka.sasl as NonNullable<typeof config.kafka.sasl>;
    for (const mechanism of ['plain', 'scram-sha-256', 'scram-sha-512'] as const) {
      expect(await kafkaAnswers({ ...config.kafka, sasl: { ...sasl, mechanism } }), mechanism).toBe(true);
    }
    expect(await kafkaAnswers({ ...config.kafka, sasl: { ...sasl, password: 'wrong' } })).toBe(false);
    expect(await kafkaAnswers({ ...config.kafka, sasl: undefined })).toBe(false);
    expect(await redisAnswers(config.redis)).toBe(true);
    expect(await redisAnswers({ ...config.redis, password: 'wrong' })).toBe(false);
  });

  it('scores a stream as a restricted ACL user, stores and sends only pseudonyms, erases a user', async () => {
    const prefix = uniqueName('secure');
    const admin = new Redis(stackEnv.REDIS_URL as string, { password: ADMIN_SECRET });
    // What the worker needs and no more: its own keys, reads, writes and scripts on them.
    await admin.acl(
      'SETUSER',
      'seqscore-worker',
      'reset',
      'on',
      `>${WORKER_SECRET}`,
      `~${prefix}*`,
      'resetchannels',
      '-@all',
      '+@read',
      '+@write',
      '+@scripting',
      '+@connection',
      '-@dangerous',
      '+info',
    );
    await admin.set('not-seqscore', 'x');
    const test = await faultTest('security', {
      ...stackEnv,
      SEQSCORE_REDIS_PREFIX: prefix,
      REDIS_USERNAME: 'seqscore-worker',
      REDIS_PASSWORD: WORKER_SECRET,
      SEQSCORE_USER_ID_KEY: USER_ID_KEY,
    });
    const { messages, expected, scores, deadLetters } = await prepareStream(test, {
      events: 3_000,
      users: 100,
      seed: 71,
      outOfOrderEvery: 31,
      lateEvery: 211,
      invalidEvery: 101,
    });
    try {
      await expect(test.redis.get('not-seqscore')).rejects.toThrow(/NOPERM/);
      await expect(test.redis.flushall()).rejects.toThrow(/NOPERM/);

      const worker = await WorkerProcess.start(test, 'worker');
      await worker.waitReady();
      await produceAll(test.kafka, test.config.topics.input, messages);
      await verify(test, expected, {
        scores,
        deadLetters,
        sent: messages.length,
        recoverySeconds: 0,
        note: 'no fault: SASL/SCRAM-SHA-512, Redis ACL user, pseudonymised ids',
      });

      const pseudonym = userIdMapper(USER_ID_KEY);
      const sentUsers = new Set(
        messages.flatMap((message) => (typeof message.key === 'string' ? [message.key] : [])),
      );
      const outputUsers = new Set(
        [...scores.entries.values()].flatMap((values) =>
          [...values].map((text) => (JSON.parse(text) as { userId: string }).userId),
        ),
      );
      expect([...outputUsers].every((userId) => /^[0-9a-f]{32}$/.test(userId))).toBe(true);
      expect([...outputUsers].filter((userId) => sentUsers.has(userId))).toEqual([]);
      const storedKeys = await admin.keys(`${prefix}:*`);
      expect(storedKeys.length).toBeGreaterThan(0);
      expect(storedKeys.filter((key) => /\{u\d+\}/.test(key))).toEqual([]);

      const erased = await runCli(test, ['erase', '--user', 'u1']);
      expect(erased.code).toBe(0);
      expect(erased.output).toContain("erased the user's state");
      expect(await test.redis.exists(userStateKey(prefix, pseudonym('u1')))).toBe(0);
      expect(await test.redis.exists(userStateKey(prefix, pseudonym('u2')))).toBe(1);

      // A worker with a wrong password fails to start, and says why without repeating it.
      const refused = await WorkerProcess.start(
        { ...test, env: { ...test.env, KAFKA_SASL_PASSWORD: 'wrong-pass-77' } },
        'refused',
      );
      expect((await refused.exited).code).toBe(1);
      expect(refused.log()).toMatch(/authentication failed/i);
      expect(refused.log()).not.toContain('wrong-pass-77');

      worker.signal('SIGTERM');
      expect((await worker.exited).code).toBe(0);
      for (const log of [worker.log(), refused.log(), erased.output]) {
        for (const secret of [...SECRETS, PAYLOAD_MARKER]) expect(log).not.toContain(secret);
      }
    } finally {
      await cleanUp(test, scores, deadLetters);
      admin.disconnect();
    }
  });
});
