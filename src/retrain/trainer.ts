import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Job, Queue, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { Config } from '../config.js';
import { createKafka } from '../infra/kafka.js';
import { createRedis, redisConnectionOptions } from '../infra/redis.js';
import { errorSummary, type Logger } from '../logger.js';
import { closeServer, startHttpServer } from '../metrics/httpServer.js';
import { createTrainerMetrics, type TrainerMetrics } from '../metrics/trainerMetrics.js';
import { ModelRegistry } from '../registry/modelRegistry.js';
import { RetrainDataError, type RetrainOutcome, type RetrainSettings, runRetrain } from './retrainRun.js';

/**
 * The trainer process: a BullMQ worker on the retraining queue, one run at a time across every
 * trainer, and a job scheduler that enqueues runs on a cron pattern or interval. The scheduler has a
 * fixed id, so deploying or restarting the trainer updates it in place instead of adding one.
 */

export const RETRAIN_QUEUE = 'seqscore-retrain';
export const RETRAIN_SCHEDULER = 'seqscore-retrain-schedule';
/** First wait before a failed run is tried again; it doubles with every attempt. */
const RETRY_BACKOFF_MS = 60_000;
/** A run holds its lock this long between renewals; training blocks the event loop for a while at times. */
const LOCK_MS = 5 * 60_000;
/** Removes staging left by runs that died, once this old (runs never take this long). */
const STALE_STAGING_MS = 24 * 3_600_000;

export interface RetrainJobData {
  trigger: 'schedule' | 'manual';
}

/** BullMQ blocks on its connection, so it needs one of its own that retries forever. */
export function queueConnection(config: Config, role: string): Redis {
  return new Redis(config.redis.url, {
    ...redisConnectionOptions(config.redis),
    connectionName: `seqscore-${role}`,
    maxRetriesPerRequest: null,
  });
}

export function queuePrefix(config: Config): string {
  return `${config.redis.keyPrefix}:bull`;
}

function jobOptions(config: Config) {
  return {
    attempts: config.retrain.attempts,
    backoff: { type: 'exponential', delay: RETRY_BACKOFF_MS },
    removeOnComplete: { count: 200 },
    removeOnFail: { count: 200 },
  };
}

export function retrainQueue(config: Config, connection: Redis): Queue<RetrainJobData, RetrainOutcome> {
  return new Queue<RetrainJobData, RetrainOutcome>(RETRAIN_QUEUE, {
    connection,
    prefix: queuePrefix(config),
  });
}

/** Enqueues a run now (`seqscore retrain --now`); the trainer picks it up when it is free. */
export async function enqueueRetrain(
  queue: Queue<RetrainJobData, RetrainOutcome>,
  config: Config,
): Promise<Job<RetrainJobData, RetrainOutcome>> {
  return queue.add('retrain', { trigger: 'manual' }, jobOptions(config));
}

export interface RunningTrainer {
  queue: Queue<RetrainJobData, RetrainOutcome>;
  metrics: TrainerMetrics;
  httpPort: number;
  stop(): Promise<void>;
}

export type RetrainProcessor = (job: Job<RetrainJobData, RetrainOutcome>) => Promise<RetrainOutcome>;

export async function startTrainer(
  config: Config,
  logger: Logger,
  run: RetrainProcessor,
  cleanStaging: (olderThanMs: number) => Promise<string[]> = async () => [],
): Promise<RunningTrainer> {
  const metrics = createTrainerMetrics();
  const removed = await cleanStaging(STALE_STAGING_MS);
  if (removed.length > 0) logger.warn({ removed }, 'removed the staging of retraining runs that died');

  const queueRedis = queueConnection(config, 'trainer-queue');
  const workerRedis = queueConnection(config, 'trainer-worker');
  for (const client of [queueRedis, workerRedis]) {
    client.on('error', (error: Error) => logger.warn({ error: error.message }, 'redis connection error'));
  }
  const queue = retrainQueue(config, queueRedis);
  await queue.setGlobalConcurrency(1);
  const { schedule } = config.retrain;
  await queue.upsertJobScheduler(
    RETRAIN_SCHEDULER,
    'cron' in schedule ? { pattern: schedule.cron } : { every: schedule.everyMs },
    { name: 'retrain', data: { trigger: 'schedule' }, opts: jobOptions(config) },
  );

  const worker = new Worker<RetrainJobData, RetrainOutcome>(
    RETRAIN_QUEUE,
    async (job) => {
      const endTimer = metrics.retrainSeconds.startTimer();
      logger.info(
        { jobId: job.id, trigger: job.data.trigger, attempt: job.attemptsMade + 1 },
        'retraining run started',
      );
      try {
        const outcome = await run(job);
        metrics.retrainRuns.labels(outcome.result).inc();
        metrics.trainingExamples.set(outcome.trainingEvents);
        return outcome;
      } catch (error) {
        metrics.retrainRuns.labels('failed').inc();
        logger.error({ jobId: job.id, error: errorSummary(error) }, 'retraining run failed');
        // More attempts cannot make a window of too little data usable.
        if (error instanceof RetrainDataError) throw new UnrecoverableError(error.message);
        throw error;
      } finally {
        endTimer();
      }
    },
    {
      connection: workerRedis,
      prefix: queuePrefix(config),
      concurrency: 1,
      lockDuration: LOCK_MS,
    },
  );
  worker.on('error', (error) => logger.warn({ error: errorSummary(error) }, 'retraining queue error'));

  const server: Server = await startHttpServer({
    host: config.metrics.host,
    port: config.metrics.port,
    metrics: () => metrics.registry,
    health: () => ({
      live: true,
      ready: worker.isRunning() && workerRedis.status === 'ready',
      details: { queue: RETRAIN_QUEUE, redis: workerRedis.status },
    }),
  });
  logger.info({ queue: RETRAIN_QUEUE, schedule }, 'trainer started');
  return {
    queue,
    metrics,
    httpPort: (server.address() as AddressInfo).port,
    stop: async () => {
      // Waits for a run in progress; one that is killed instead is retried from scratch.
      await worker.close();
      await queue.close();
      queueRedis.disconnect();
      workerRedis.disconnect();
      await closeServer(server);
      logger.info('trainer stopped');
    },
  };
}

/** The trainer of `seqscore trainer`: retraining runs against the registry, data from Kafka or a file. */
export async function startRegistryTrainer(
  config: Config,
  logger: Logger,
  settings: RetrainSettings,
): Promise<RunningTrainer> {
  if (!config.registry) throw new Error('the trainer needs a model registry: set SEQSCORE_REGISTRY_DIR');
  const redis = createRedis(config.redis, 'seqscore-trainer', logger);
  const registry = new ModelRegistry(config.registry.dir, redis, config.redis.keyPrefix);
  const kafka = settings.source.kind === 'kafka' ? createKafka(config.kafka, { logger }) : undefined;
  try {
    const trainer = await startTrainer(
      config,
      logger,
      (job) =>
        runRetrain(`run-${job.id}-${job.attemptsMade}`, settings, {
          registry,
          logger,
          ...(kafka ? { kafka } : {}),
        }),
      (olderThanMs) => registry.removeStaleStaging(olderThanMs),
    );
    return {
      ...trainer,
      stop: async () => {
        await trainer.stop();
        redis.disconnect();
      },
    };
  } catch (error) {
    redis.disconnect();
    throw error;
  }
}
