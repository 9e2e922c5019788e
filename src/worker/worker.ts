import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Redis } from 'ioredis';
import type { Kafka } from 'kafkajs';
import type { Config } from '../config.js';
import { EventConsumer } from '../consumers/eventConsumer.js';
import { ActionVocabulary } from '../events/actionVocabulary.js';
import { createDecoder } from '../events/decoder.js';
import { userIdMapper } from '../events/userIds.js';
import { WindowStore, windowOptions } from '../features/windowStore.js';
import { createKafka, ensureTopics } from '../infra/kafka.js';
import { createRedis } from '../infra/redis.js';
import type { Logger } from '../logger.js';
import { closeServer, startHttpServer } from '../metrics/httpServer.js';
import { createMetrics, type Metrics } from '../metrics/metrics.js';
import { initBackend } from '../model/backend.js';
import { ModelRegistry } from '../registry/modelRegistry.js';
import { watchPromotions } from '../registry/promotions.js';
import { Publisher } from '../sinks/publisher.js';
import { TransactionalPublisher } from '../sinks/transactionalPublisher.js';
import { type BatchResult, BatchStageError, processBatch } from './batchProcessor.js';
import { type ActiveModel, loadCheckedModel, ModelSwitch } from './modelSwitch.js';

/** One consumer-group member: consumer, user state, model and publisher, without the HTTP server. */
export interface Pipeline {
  metrics: Metrics;
  /** The version scoring now; it changes when a promoted version is switched to. */
  readonly modelVersion: string;
  ready(): boolean;
  /** What /healthz and /readyz show besides their status. */
  details(): Record<string, unknown>;
  /** Finishes the micro-batch in flight, commits, and releases every connection. */
  stop(): Promise<void>;
}

export interface RunningWorker extends Pipeline {
  /** The port /metrics, /healthz and /readyz listen on (useful when configured as 0). */
  httpPort: number;
}

export interface WorkerHooks {
  onFatal?: (error: Error) => void;
  onBatch?: (result: BatchResult) => void;
  /**
   * Called with everything loaded, just before joining the consumer group: threads of one process
   * join together, so the group assigns partitions once instead of once per arriving member.
   */
  beforeJoin?: () => Promise<void>;
}

/** The registry's current version when there is one, else the model folder SEQSCORE_MODEL_DIR. */
async function loadInitialModel(config: Config, registry: ModelRegistry | undefined): Promise<ActiveModel> {
  const check = {
    actions: config.events.actions,
    topK: config.model.topK,
    exploreCandidates: config.model.exploreCandidates,
  };
  const current = await registry?.current();
  if (registry && current) {
    try {
      return await loadCheckedModel(registry.folder(current), check, current);
    } catch (error) {
      throw new Error(
        `the registry's current model ${current} is unusable (${(error as Error).message}); ` +
          'go back to the previous one with `seqscore models rollback`',
      );
    }
  }
  try {
    return await loadCheckedModel(config.model.dir, check);
  } catch (error) {
    throw new Error(
      `no usable model in ${config.model.dir} (${(error as Error).message}); train one with \`seqscore train\``,
    );
  }
}

/** Wires consumers -> features -> model -> sinks and starts consuming. */
export async function startPipeline(
  config: Config,
  logger: Logger,
  hooks: WorkerHooks = {},
  metrics: Metrics = createMetrics(),
): Promise<Pipeline> {
  const backend = await initBackend(config.model.backend, 'streaming', (unavailable) =>
    logger.info(unavailable, 'TensorFlow.js backend unavailable; trying the next'),
  );
  const redis: Redis = createRedis(config.redis, 'seqscore-worker', logger);
  const registry = config.registry && new ModelRegistry(config.registry.dir, redis, config.redis.keyPrefix);
  const models = new ModelSwitch(
    await loadInitialModel(config, registry).catch(async (error) => {
      redis.disconnect();
      throw error;
    }),
    {
      check: {
        actions: config.events.actions,
        topK: config.model.topK,
        exploreCandidates: config.model.exploreCandidates,
      },
      folderOf: (version) => (registry as ModelRegistry).folder(version),
      metrics,
      backend,
      logger: logger.child({ component: 'models' }),
    },
  );
  logger.info({ modelVersion: models.version, backend }, 'model loaded');
  const kafka: Kafka = createKafka(config.kafka, { logger });
  await ensureTopics(kafka, [
    { topic: config.topics.input, partitions: config.topics.partitions },
    { topic: config.topics.output, partitions: config.topics.partitions },
    { topic: config.topics.deadLetter, partitions: config.topics.partitions },
    ...(config.topics.profiles
      ? [{ topic: config.topics.profiles, partitions: config.topics.partitions }]
      : []),
  ]);
  const topics = {
    scores: config.topics.output,
    deadLetters: config.topics.deadLetter,
    ...(config.topics.profiles ? { profiles: config.topics.profiles } : {}),
  };
  const publisher = config.kafka.transactions
    ? new TransactionalPublisher(kafka, topics, config.kafka.groupId)
    : new Publisher(kafka, topics);
  if (publisher instanceof Publisher) await publisher.connect();

  const actions = new ActionVocabulary(config.events.actions, config.events.aliases);
  const windows = new WindowStore(redis, {
    ...windowOptions(config),
    onConflict: (users) => metrics.stateConflicts.inc(users),
    onCorrupt: (userId, error) => {
      metrics.userStateRebuilds.labels('corrupt').inc();
      logger.warn({ userId, err: error }, 'unreadable user state; starting the user again');
    },
    onDropFailure: () => metrics.redisErrors.labels('release_scores').inc(),
  });
  const stages = {
    decode: createDecoder({
      vocabulary: actions,
      maxBytes: config.events.maxBytes,
      maxFutureSkewMs: config.events.maxFutureSkewMs,
    }),
    userId: userIdMapper(config.userIdKey),
    windows,
    scorer: () => models.scorer(),
    actions: actions.actions,
    ...(config.topics.profiles ? { profiles: { halfLifeMs: config.insights.profileHalfLifeMs } } : {}),
    publisher,
    metrics,
    clock: Date.now,
  };
  const consumer = new EventConsumer(
    kafka,
    {
      topic: config.topics.input,
      groupId: config.kafka.groupId,
      sessionTimeoutMs: config.kafka.sessionTimeoutMs,
      heartbeatIntervalMs: config.kafka.heartbeatIntervalMs,
      maxBatch: config.worker.maxBatch,
      // A transaction commits one input partition's offsets (see TransactionalPublisher).
      partitionsPerPass: config.kafka.transactions ? 1 : config.topics.partitions,
      fetchMaxBytes: config.kafka.fetchMaxBytes,
      fetchLingerMs: config.kafka.fetchLingerMs,
      retryBackoffMaxMs: config.worker.retryBackoffMaxMs,
      handlerCommitsOffsets: config.kafka.transactions,
      onLag: (source, lag) => metrics.consumerLag.labels(source.topic, String(source.partition)).set(lag),
      onRetry: (error) =>
        metrics.batchRetries.labels(error instanceof BatchStageError ? error.stage : 'other').inc(),
      onPause: (paused) => (paused ? metrics.consumerPaused.inc() : metrics.consumerPaused.dec()),
      onBuffered: (messages) => metrics.bufferedMessages.set(messages),
      onFatal: (error) => hooks.onFatal?.(error),
    },
    async (batches) => {
      const result = await models.during(() => processBatch(batches, stages));
      hooks.onBatch?.(result);
    },
    logger.child({ component: 'consumer' }),
  );

  let stopping = false;
  const promotions =
    registry &&
    watchPromotions(
      registry,
      redis.duplicate({ connectionName: 'seqscore-worker-promotions' }),
      (config.registry as { pollIntervalMs: number }).pollIntervalMs,
      (version) => void models.offer(version),
      logger.child({ component: 'models' }),
    );
  await hooks.beforeJoin?.();
  await consumer.start();
  logger.info({ topic: config.topics.input, groupId: config.kafka.groupId }, 'worker started');

  return {
    metrics,
    get modelVersion() {
      return models.version;
    },
    ready: () => !stopping && consumer.joined && redis.status === 'ready',
    details: () => ({ modelVersion: models.version, backend, inGroup: consumer.joined, redis: redis.status }),
    stop: async () => {
      if (stopping) return;
      stopping = true;
      await promotions?.close();
      await consumer.stop();
      await publisher.disconnect();
      // Published scores still stored are dropped before leaving; with Redis away they stay until
      // each user's next commit, which is no reason to hold up a shutdown.
      if (redis.status === 'ready') {
        await windows.dropPublished().catch(() => metrics.redisErrors.labels('release_scores').inc());
      }
      models.close();
      redis.disconnect();
      logger.info('worker stopped');
    },
  };
}

/** One pipeline in this thread, with /metrics, /healthz and /readyz. */
export async function startWorker(
  config: Config,
  logger: Logger,
  hooks: WorkerHooks = {},
): Promise<RunningWorker> {
  const pipeline = await startPipeline(config, logger, hooks);
  let stopping = false;
  const server: Server = await startHttpServer({
    host: config.metrics.host,
    port: config.metrics.port,
    metrics: () => pipeline.metrics.registry,
    health: () => ({ live: !stopping, ready: !stopping && pipeline.ready(), details: pipeline.details() }),
  }).catch(async (error) => {
    await pipeline.stop();
    throw error;
  });
  return {
    metrics: pipeline.metrics,
    details: () => pipeline.details(),
    get modelVersion() {
      return pipeline.modelVersion;
    },
    httpPort: (server.address() as AddressInfo).port,
    ready: () => !stopping && pipeline.ready(),
    stop: async () => {
      if (stopping) return;
      stopping = true;
      await pipeline.stop();
      await closeServer(server);
    },
  };
}
