import { Redis } from 'ioredis';
import { type Kafka, Partitioners } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import { WindowStore, windowOptions } from '../../src/features/windowStore.js';
import { createKafka } from '../../src/infra/kafka.js';
import { createLogger } from '../../src/logger.js';
import { DEAD_LETTER_HEADERS } from '../../src/sinks/deadLetter.js';
import type { ScoreMessage } from '../../src/sinks/scoreMessage.js';
import { type RunningWorker, startWorker } from '../../src/worker/worker.js';
import { integrationConfig, readTopic, untrainedModelFolder, waitFor } from '../helpers/integration.js';

const USERS = 40;
const VALID = 990;
const WINDOW = 8;
const ACTIONS = ['view', 'cart', 'fav', 'purchase'];

interface Sent {
  key: string | null;
  value: string;
}

/** 990 valid events over 40 users, with 10 malformed ones spread through the stream. */
function buildStream(): { messages: Sent[]; validByUser: Map<string, string[]> } {
  const malformed: Sent[] = [
    { key: 'u1', value: '{"eventId": "broken' },
    { key: null, value: 'plain text' },
    { key: 'u2', value: JSON.stringify({ eventId: 'm3', userId: 'u2', action: 'view', ts: 1e12 }) },
    { key: 'u3', value: JSON.stringify({ eventId: 'm4', userId: 'u3', itemId: 'i', action: 'view' }) },
    {
      key: 'u4',
      value: JSON.stringify({ eventId: 'm5', userId: 'u4', itemId: 'i', action: 'teleport', ts: 1e12 }),
    },
    {
      key: 'u5',
      value: JSON.stringify({ eventId: 'm6', userId: 'u5', itemId: 'i', action: 'share', ts: 1e12 }),
    },
    {
      key: 'u6',
      value: JSON.stringify({ eventId: 'm7', userId: 'u6', itemId: 'i', action: 'view', ts: 'tomorrow' }),
    },
    {
      key: 'u7',
      value: JSON.stringify({ eventId: 'm8', userId: 'u7', itemId: 'i', action: 'view', ts: 1511544070 }),
    },
    {
      key: 'u8',
      value: JSON.stringify({ eventId: 'm9', userId: 'u9', itemId: 'i', action: 'view', ts: 1e12 }),
    },
    { key: 'u9', value: '' },
  ];
  const messages: Sent[] = [];
  const validByUser = new Map<string, string[]>();
  for (let n = 0; n < VALID; n++) {
    const userId = `u${n % USERS}`;
    const eventId = `ev-${n}`;
    const ts = Date.UTC(2017, 10, 26) + n * 1000;
    messages.push({
      key: userId,
      value: JSON.stringify({
        eventId,
        userId,
        itemId: `i${n % 97}`,
        categoryId: `c${n % 7}`,
        action: n % 9 === 0 ? 'cart' : 'pv',
        ts,
      }),
    });
    validByUser.set(userId, [...(validByUser.get(userId) ?? []), eventId]);
    if (n % 99 === 50) messages.push(malformed.pop() as Sent);
  }
  expect(malformed).toHaveLength(0);
  return { messages, validByUser };
}

describe('pipeline on the real local stack', () => {
  let config: Config;
  let kafka: Kafka;
  let redis: Redis;
  let worker: RunningWorker;
  const stream = buildStream();

  async function produce(messages: Sent[]) {
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    for (let i = 0; i < messages.length; i += 100) {
      await producer.send({ topic: config.topics.input, acks: -1, messages: messages.slice(i, i + 100) });
    }
    await producer.disconnect();
  }

  /** Each user's window holds that user's last WINDOW valid events, in the order produced. */
  async function expectWindowsHoldLastEvents() {
    const windows = new WindowStore(redis, { ...windowOptions(config), size: WINDOW });
    // Event n of the stream is item i<n % 97>.
    const itemOf = (eventId: string) => `i${Number(eventId.slice('ev-'.length)) % 97}`;
    for (const [userId, eventIds] of stream.validByUser) {
      expect((await windows.read(userId)).map((entry) => entry.itemId)).toEqual(
        eventIds.slice(-WINDOW).map(itemOf),
      );
    }
  }

  async function committedTotal(): Promise<number> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const [offsets] = await admin.fetchOffsets({
        groupId: config.kafka.groupId,
        topics: [config.topics.input],
      });
      return (offsets?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
    } finally {
      await admin.disconnect();
    }
  }

  beforeAll(async () => {
    config = integrationConfig('pipeline', {
      SEQSCORE_TOPIC_PARTITIONS: '3',
      SEQSCORE_WINDOW_SIZE: String(WINDOW),
      SEQSCORE_DEDUPE_IDS: '100',
      SEQSCORE_MODEL_DIR: await untrainedModelFolder(ACTIONS),
    });
    kafka = createKafka(config.kafka, { clientId: 'pipeline-test' });
    redis = new Redis(config.redis.url);
    worker = await startWorker(config, createLogger('warn'));
    await waitFor(() => worker.ready(), 60_000, 'the worker to join its group');
  });

  afterAll(async () => {
    await worker?.stop();
    const keys = await redis.keys(`${config.redis.keyPrefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it('scores each valid event once, dead-letters the malformed, keeps windows and commits offsets', async () => {
    await produce(stream.messages);

    const scores = await readTopic(kafka, config.topics.output, VALID);
    const parsed = scores.map((message) => JSON.parse(String(message.value)) as ScoreMessage);
    expect(parsed).toHaveLength(VALID);
    const allValid = [...stream.validByUser.values()].flat();
    expect(new Set(parsed.map((score) => score.eventId))).toEqual(new Set(allValid));
    for (const [i, score] of parsed.entries()) {
      expect(String(scores[i]?.key)).toBe(score.userId);
      expect(score.modelVersion).toBe('gru-it-untrained');
      expect(Object.keys(score.nextAction)).toEqual(ACTIONS);
      expect(score.churn.p).toBeGreaterThan(0);
      expect(score.churn.horizonSeconds).toBe(3600);
    }

    const dead = await readTopic(kafka, config.topics.deadLetter, 10);
    expect(dead).toHaveLength(10);
    const reasons = dead.map((message) => String(message.headers?.[DEAD_LETTER_HEADERS.reason])).sort();
    expect(reasons).toEqual(
      [
        'empty',
        'invalid_json',
        'invalid_json',
        'invalid_timestamp',
        'invalid_timestamp',
        'key_mismatch',
        'schema',
        'schema',
        'unknown_action',
        'unknown_action',
      ].sort(),
    );
    expect(dead.map((message) => String(message.value ?? ''))).toContain('plain text');

    await expectWindowsHoldLastEvents();

    await waitFor(
      async () => (await committedTotal()) === stream.messages.length,
      30_000,
      'offsets to be committed',
    );
    const published = await worker.metrics.scoresPublished.get();
    expect(published.values[0]?.value).toBe(VALID);
  }, 180_000);

  it('recognises replayed, already published events without scoring, publishing or storing them again', async () => {
    await produce(stream.messages);
    await waitFor(
      async () => (await committedTotal()) === 2 * stream.messages.length,
      90_000,
      'the replay to be consumed',
    );
    await expectWindowsHoldLastEvents();
    // Every batch was published before its offsets were committed, and its users then dropped the
    // stored scores: each replayed event is recognised by its offset and skipped.
    const duplicates = await worker.metrics.duplicateEvents.get();
    const count = (outcome: string) =>
      duplicates.values.find((v) => v.labels.outcome === outcome)?.value ?? 0;
    expect(count('republished')).toBe(0);
    expect(count('expired')).toBe(VALID);
    const published = await worker.metrics.scoresPublished.get();
    expect(published.values[0]?.value).toBe(VALID);
  }, 180_000);
});
