import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cp, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { type Kafka, Partitioners } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trainingJobOptions } from '../../src/cli/trainCommand.js';
import type { Config } from '../../src/config.js';
import { toMessage, type UserEvent } from '../../src/events/event.js';
import { syntheticEvents } from '../../src/events/synthetic.js';
import { createKafka } from '../../src/infra/kafka.js';
import { createLogger } from '../../src/logger.js';
import { defaultTestFrom } from '../../src/model/evaluation/protocol.js';
import { ModelRegistry } from '../../src/registry/modelRegistry.js';
import { type RetrainSettings, runRetrain } from '../../src/retrain/retrainRun.js';
import {
  enqueueRetrain,
  queueConnection,
  queuePrefix,
  RETRAIN_QUEUE,
  type RunningTrainer,
  startRegistryTrainer,
} from '../../src/retrain/trainer.js';
import type { ScoreMessage } from '../../src/sinks/scoreMessage.js';
import { type RunningWorker, startWorker } from '../../src/worker/worker.js';
import { integrationConfig, readTopic, untrainedModelFolder, waitFor } from '../helpers/integration.js';

const ACTIONS = ['view', 'cart', 'fav', 'purchase'];
const SYNTHETIC = { users: 30, items: 80, categories: 8, meanGapSeconds: 60 };
const logger = createLogger('warn');

/** Tiny training: the point is the retraining path, not a good model. */
function tinySettings(config: Config, source: RetrainSettings['source']): RetrainSettings {
  const training = trainingJobOptions(
    {
      model: 'gru',
      epochs: 2,
      patience: 2,
      hidden: 8,
      batchSize: 32,
      learningRate: 0.01,
      dropout: 0,
      negatives: 16,
      lossWeights: { action: 1, item: 1, churn: 1 },
      seed: 3,
    },
    config,
  );
  return {
    source,
    windowMs: config.retrain.windowMs,
    promotion: config.retrain.promotion,
    training: { ...training, model: { ...training.model, itemEmbeddingSize: 8 } },
    segments: 2,
  };
}

function counterValue(values: { labels: Record<string, unknown>; value: number }[], result: string): number {
  return values.find((value) => value.labels.result === result)?.value ?? 0;
}

describe('retraining, promotion and hot swap on the real local stack', () => {
  let config: Config;
  let kafka: Kafka;
  let redis: Redis;
  let registry: ModelRegistry;
  let worker: RunningWorker;
  let trainer: RunningTrainer | undefined;
  let untrained: string;
  const produced: UserEvent[] = [];
  /** eventId -> the model version the worker was serving when the event was produced, if settled. */
  const expectedVersion = new Map<string, string>();

  async function produce(events: readonly UserEvent[], settledVersion?: string) {
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    for (let i = 0; i < events.length; i += 50) {
      const slice = events.slice(i, i + 50);
      await producer.send({
        topic: config.topics.input,
        acks: -1,
        messages: slice.map((event) => ({ key: event.userId, value: JSON.stringify(toMessage(event)) })),
      });
    }
    await producer.disconnect();
    produced.push(...events);
    if (settledVersion) for (const event of events) expectedVersion.set(event.eventId, settledVersion);
  }

  /** Every event produced so far has exactly one score; returns the scores by eventId. */
  async function expectOneScoreEach(): Promise<Map<string, ScoreMessage>> {
    const messages = await readTopic(kafka, config.topics.output, produced.length);
    const scores = messages.map((message) => JSON.parse(String(message.value)) as ScoreMessage);
    const byEvent = new Map(scores.map((score) => [score.eventId, score]));
    expect(scores).toHaveLength(produced.length);
    expect(byEvent.size).toBe(produced.length);
    for (const event of produced) expect(byEvent.has(event.eventId)).toBe(true);
    for (const [eventId, version] of expectedVersion)
      expect(byEvent.get(eventId)?.modelVersion).toBe(version);
    return byEvent;
  }

  beforeAll(async () => {
    const registryDir = join(mkdtempSync(join(tmpdir(), 'seqscore-it-registry-')), 'models');
    config = integrationConfig('retrain', {
      SEQSCORE_TOPIC_PARTITIONS: '2',
      SEQSCORE_WINDOW_SIZE: '8',
      SEQSCORE_DEDUPE_IDS: '100',
      SEQSCORE_REGISTRY_DIR: registryDir,
      SEQSCORE_MODEL_POLL_INTERVAL: '500ms',
      // Only the runs the test enqueues: an interval schedule would fire at once on first start.
      SEQSCORE_RETRAIN_CRON: '0 0 1 1 *',
      SEQSCORE_RETRAIN_ATTEMPTS: '1',
      SEQSCORE_PROMOTE_METRICS: 'next_action_log_loss,next_item_hit_rate_at_10',
      SEQSCORE_PROMOTE_TOLERANCE: '0.01',
      SEQSCORE_MAX_LATENESS: '7d',
    });
    kafka = createKafka(config.kafka, { clientId: 'retrain-test' });
    redis = new Redis(config.redis.url);
    registry = new ModelRegistry(registryDir, redis, config.redis.keyPrefix);
    const imported = await registry.import(await untrainedModelFolder(ACTIONS, 8));
    untrained = imported.version;
    expect((await registry.promote(untrained, null)).moved).toBe(true);
    worker = await startWorker(config, logger);
    await waitFor(() => worker.ready(), 60_000, 'the worker to join its group');
  });

  afterAll(async () => {
    if (trainer) {
      await trainer.queue.obliterate({ force: true });
      await trainer.stop();
    }
    await worker?.stop();
    const keys = await redis.keys(`${config.redis.keyPrefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it('retrains from Kafka, promotes the challenger, and workers switch between batches', async () => {
    const events = [...syntheticEvents({ ...SYNTHETIC, events: 900, seed: 5 })];
    await produce(events.slice(0, 600), untrained);
    await waitFor(
      async () => ((await worker.metrics.scoresPublished.get()).values[0]?.value ?? 0) >= 600,
      60_000,
      'the first events to be scored',
    );

    trainer = await startRegistryTrainer(
      config,
      logger,
      tinySettings(config, {
        kind: 'kafka',
        topic: config.topics.input,
        groupPrefix: `${config.kafka.groupId}-rt`,
      }),
    );
    const queueEvents = new QueueEvents(RETRAIN_QUEUE, {
      connection: queueConnection(config, 'test-events'),
      prefix: queuePrefix(config),
    });
    await queueEvents.waitUntilReady();
    const job = await enqueueRetrain(trainer.queue, config);
    // Events keep flowing while the run trains and the workers switch.
    const during = produce(events.slice(600, 750));
    const outcome = await job.waitUntilFinished(queueEvents, 240_000);
    await queueEvents.close();
    await during;

    expect(outcome.result).toBe('promoted');
    expect(outcome.champion).toBe(untrained);
    expect(outcome.trainingEvents).toBeGreaterThan(0);
    expect(outcome.trainingEvents).toBeLessThan(750);
    expect(await registry.current()).toBe(outcome.version);
    const entry = await registry.show(outcome.version);
    expect(entry.parent).toBe(untrained);
    expect(entry.decision?.promoted).toBe(true);
    expect(Object.keys(entry.decision?.championMetrics ?? {})).toContain('next_action_log_loss');
    expect(entry.metrics.next_action_log_loss).toBeLessThan(
      entry.decision?.championMetrics.next_action_log_loss as number,
    );
    expect(entry.training.windowFrom).not.toBeNull();
    const runs = (await trainer.metrics.retrainRuns.get()).values;
    expect(counterValue(runs, 'promoted')).toBe(1);

    await waitFor(() => worker.modelVersion === outcome.version, 30_000, 'the worker to switch');
    await produce(events.slice(750), outcome.version);
    const scores = await expectOneScoreEach();
    // In each partition, scores switch from the old version to the new one once and never back.
    const versions = events.map((event) => scores.get(event.eventId)?.modelVersion);
    expect(new Set(versions)).toEqual(new Set([untrained, outcome.version]));
    // The retrain fitted two segments for the new version; its scores name one, the untrained model's none.
    for (const event of events) {
      const score = scores.get(event.eventId);
      if (score?.modelVersion === outcome.version) expect([0, 1]).toContain(score.segment);
      else expect(score?.segment).toBeUndefined();
    }
    const byUser = new Map<string, string[]>();
    for (const event of events) {
      byUser.set(event.userId, [
        ...(byUser.get(event.userId) ?? []),
        scores.get(event.eventId)?.modelVersion as string,
      ]);
    }
    for (const sequence of byUser.values()) {
      const firstNew = sequence.indexOf(outcome.version);
      if (firstNew >= 0) expect(sequence.slice(firstNew).every((v) => v === outcome.version)).toBe(true);
    }
    const swaps = (await worker.metrics.modelSwaps.get()).values;
    expect(counterValue(swaps, 'switched')).toBe(1);
    const gauges = (await worker.metrics.modelEvaluation.get()).values;
    expect(gauges.find((g) => g.labels.metric === 'next_action_log_loss')?.value).toBeCloseTo(
      entry.metrics.next_action_log_loss as number,
      6,
    );
  }, 300_000);

  it('rejects a challenger trained on scrambled labels and keeps the champion', async () => {
    const champion = worker.modelVersion;
    expect(champion).not.toBe(untrained);
    // Same behaviour, but in the training period every action is replaced by the next one in the
    // vocabulary: the challenger learns that views are followed by carts, and so on.
    const events = [...syntheticEvents({ ...SYNTHETIC, events: 900, seed: 9 })];
    const testFrom = defaultTestFrom(events);
    const scrambled = events.map((event) =>
      event.tsMs < testFrom
        ? { ...event, action: ACTIONS[(ACTIONS.indexOf(event.action) + 1) % ACTIONS.length] as string }
        : event,
    );
    const file = join(mkdtempSync(join(tmpdir(), 'seqscore-it-scrambled-')), 'events.ndjson');
    writeFileSync(file, scrambled.map((event) => JSON.stringify(toMessage(event))).join('\n'));

    const settings = tinySettings(config, {
      kind: 'events',
      source: { kind: 'file', file, format: 'ndjson' },
    });
    const outcome = await runRetrain('scrambled', settings, { registry, logger });

    expect(outcome.result).toBe('rejected');
    expect(outcome.champion).toBe(champion);
    expect(await registry.current()).toBe(champion);
    const entry = await registry.show(outcome.version);
    expect(entry.decision?.promoted).toBe(false);
    expect(entry.decision?.comparisons.find((c) => c.metric === 'next_action_log_loss')?.worse).toBe(true);
    expect(
      JSON.parse(readFileSync(join(registry.folder(outcome.version), 'champion-evaluation.json'), 'utf8'))
        .protocol.modelVersion,
    ).toBe(champion);
    // Nothing for the workers to do: still the champion, and no swap attempted.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(worker.modelVersion).toBe(champion);
    expect(counterValue((await worker.metrics.modelSwaps.get()).values, 'switched')).toBe(1);
  }, 300_000);

  it('refuses a promoted artifact that is corrupt and keeps scoring with the model in use', async () => {
    const champion = worker.modelVersion;
    const copy = join(mkdtempSync(join(tmpdir(), 'seqscore-it-corrupt-')), 'model');
    await cp(registry.folder(champion), copy, { recursive: true });
    const metadataFile = join(copy, 'seqscore.json');
    const metadata = JSON.parse(readFileSync(metadataFile, 'utf8')) as { version: string };
    writeFileSync(metadataFile, JSON.stringify({ ...metadata, version: `${champion}-corrupt` }));
    const corrupt = (await registry.import(copy)).version;
    await truncate(join(registry.folder(corrupt), 'weights.bin'), 100);

    expect((await registry.promote(corrupt)).moved).toBe(true);
    await waitFor(
      async () => counterValue((await worker.metrics.modelSwaps.get()).values, 'refused') === 1,
      30_000,
      'the worker to refuse the corrupt model',
    );
    expect(worker.modelVersion).toBe(champion);
    await produce(
      [...syntheticEvents({ ...SYNTHETIC, events: 60, seed: 13, startMs: Date.UTC(2017, 11, 20) })],
      champion,
    );
    await expectOneScoreEach();
    // Polling sees the same refused version again and again; it is refused once, not on every poll.
    expect(counterValue((await worker.metrics.modelSwaps.get()).values, 'refused')).toBe(1);
    expect((await registry.rollback()).current).toBe(champion);
  }, 180_000);
});
