import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import type { Kafka, KafkaMessage } from 'kafkajs';
import { type Config, loadConfig } from '../../src/config.js';
import { ActionVocabulary } from '../../src/events/actionVocabulary.js';
import { IdVocabulary } from '../../src/features/idVocabulary.js';
import { initBackend } from '../../src/model/backend.js';
import { saveModelFolder } from '../../src/model/modelFolder.js';
import { DEFAULT_MODEL_CONFIG, SequenceModel } from '../../src/model/sequenceModel.js';
import { untrainedMetadata } from './modelMetadata.js';
import { itNamePrefix, TEST_RUN_VARIABLE } from './testRun.js';

/**
 * Helpers for tests against the real local Kafka and Redis. Every test gets its own topics,
 * consumer group and Redis key prefix, so tests never see each other's data.
 */

/** After a test file: deletes every key under its own `prefix` and closes its client. */
export async function removeKeysAndDisconnect(redis: Redis, prefix: string): Promise<void> {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.unlink(...keys);
  redis.disconnect();
}

export function uniqueName(label: string): string {
  return `${itNamePrefix(process.env[TEST_RUN_VARIABLE] ?? 'adhoc')}${label}-${randomUUID().slice(0, 8)}`;
}

export function integrationConfig(label: string, env: Record<string, string> = {}): Config {
  const name = uniqueName(label);
  return loadConfig({
    ...process.env,
    SEQSCORE_INPUT_TOPIC: `${name}-events`,
    SEQSCORE_OUTPUT_TOPIC: `${name}-scores`,
    SEQSCORE_GROUP_ID: `${name}-group`,
    SEQSCORE_REDIS_PREFIX: name,
    SEQSCORE_METRICS_PORT: '0',
    SEQSCORE_METRICS_HOST: '127.0.0.1',
    SEQSCORE_LOG_LEVEL: 'warn',
    SEQSCORE_SESSION_TIMEOUT: '10s',
    SEQSCORE_HEARTBEAT_INTERVAL: '1s',
    ...env,
  });
}

/** An untrained but complete model folder: scoring paths need a model, not a good one. */
export async function untrainedModelFolder(actions: string[], maxLength = 50): Promise<string> {
  await initBackend('cpu', 'training');
  const folder = join(mkdtempSync(join(tmpdir(), 'seqscore-it-model-')), 'model');
  const vocabularies = {
    actions: new ActionVocabulary(actions),
    items: new IdVocabulary([], 16),
    categories: new IdVocabulary([], 4),
  };
  const config = { ...DEFAULT_MODEL_CONFIG, hiddenSize: 8, itemEmbeddingSize: 8, maxLength };
  const model = SequenceModel.create(config, vocabularies, 1);
  await saveModelFolder(folder, model, untrainedMetadata(model, 'gru-it-untrained'));
  model.dispose();
  return folder;
}

export async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Reads a topic from the beginning until `expected` messages have arrived, then keeps listening for
 * `quietMs` more so that extra (duplicate) messages are caught rather than missed.
 */
export async function readTopic(
  kafka: Kafka,
  topic: string,
  expected: number,
  { timeoutMs = 120_000, quietMs = 2_000 } = {},
): Promise<KafkaMessage[]> {
  const consumer = kafka.consumer({
    groupId: uniqueName('reader'),
    sessionTimeout: 10_000,
    heartbeatInterval: 1_000,
  });
  const messages: KafkaMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void messages.push(message) });
    await waitFor(
      () => messages.length >= expected,
      timeoutMs,
      `${expected} messages on ${topic} (got ${messages.length})`,
    );
    await new Promise((resolve) => setTimeout(resolve, quietMs));
  } finally {
    await consumer.disconnect();
  }
  return messages;
}
