import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { errorSummary, type Logger } from '../logger.js';
import { type MessageSource, type MicroBatch, nextOffset, type PassHandler, PassQueue } from './passQueue.js';

export interface EventConsumerOptions {
  topic: string;
  groupId: string;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  /** Events in one pass of the handler (a partition's micro-batch alone may not exceed it). */
  maxBatch: number;
  /**
   * Partitions handled concurrently, and so in one pass: kafkajs hands them over together. 1 when
   * the handler must see one partition at a time (a Kafka transaction commits one partition's offsets).
   */
  partitionsPerPass: number;
  /** Upper bound on the bytes one fetch may bring in, and so on the messages held in memory. */
  fetchMaxBytes: number;
  /**
   * How long the broker may hold a fetch while it has less than a partition's most (1 MiB) to send:
   * a linger that makes passes larger and fewer at moderate rates, at the cost of that wait. 0 (the
   * default) answers as soon as there is anything.
   */
  fetchLingerMs?: number;
  /** Longest wait between two attempts at a failing micro-batch. */
  retryBackoffMaxMs: number;
  /**
   * The handler commits each micro-batch's offsets itself (in a Kafka transaction with its output);
   * the consumer then only tracks its position and never commits.
   */
  handlerCommitsOffsets?: boolean;
  onLag?: (source: MessageSource, lag: number) => void;
  /** A micro-batch failed and will be retried after `delayMs`, with its partition paused meanwhile. */
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  /** The partition was paused (true) for retries, or resumed (false) once its micro-batch succeeded. */
  onPause?: (paused: boolean) => void;
  /** Messages fetched and not yet processed. */
  onBuffered?: (messages: number) => void;
  /** Called when kafkajs gives up and will not restart the consumer: the process should exit. */
  onFatal: (error: Error) => void;
}

const FIRST_RETRY_DELAY_MS = 200;
/** Heartbeat errors that mean the group is rebalancing or has moved on without this member. */
const REBALANCE_ERRORS = new Set([
  'REBALANCE_IN_PROGRESS',
  'NOT_COORDINATOR_FOR_GROUP',
  'ILLEGAL_GENERATION',
  'UNKNOWN_MEMBER_ID',
]);
const STOP_POLL_MS = 100;

function isRebalance(error: unknown): boolean {
  return REBALANCE_ERRORS.has((error as { type?: string } | undefined)?.type ?? '');
}

/** Exponential backoff with full jitter, so that workers sharing a failed store do not retry in step. */
export function retryDelayMs(attempt: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, FIRST_RETRY_DELAY_MS * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/**
 * The input side: a consumer-group member that cuts each partition's fetched batch into
 * micro-batches, hands them to the handler (those of several partitions in one pass), and commits
 * a pass's offsets only after the handler has resolved.
 *
 * A failing micro-batch (Redis or Kafka unavailable or too slow) is retried in place with backoff,
 * its partition paused, and heartbeats sent meanwhile so the group does not evict a worker that is
 * only waiting. kafkajs fetches again only once the fetched batch is done, so memory stays bounded
 * by one fetch (fetchMaxBytes), however long the outage.
 */
export class EventConsumer {
  private readonly consumer: Consumer;
  private readonly passes: PassQueue;
  /** The kafkajs payload each micro-batch came with: a pass commits through one of them. */
  private readonly payloads = new WeakMap<MicroBatch, EachBatchPayload>();
  private inGroup = false;

  constructor(
    kafka: Kafka,
    private readonly options: EventConsumerOptions,
    handler: PassHandler,
    private readonly logger: Logger,
  ) {
    this.passes = new PassQueue(
      async (batches) => {
        await handler(batches);
        if (!options.handlerCommitsOffsets) await this.commit(batches);
      },
      { maxEvents: options.maxBatch, maxBatches: options.partitionsPerPass },
    );
    const maxBytesPerPartition = Math.min(options.fetchMaxBytes, 1024 * 1024);
    this.consumer = kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: options.sessionTimeoutMs,
      heartbeatInterval: options.heartbeatIntervalMs,
      maxBytes: options.fetchMaxBytes,
      maxBytesPerPartition,
      // The broker answers once it has minBytes or maxWaitTimeInMs has passed.
      ...(options.fetchLingerMs
        ? { minBytes: maxBytesPerPartition, maxWaitTimeInMs: options.fetchLingerMs }
        : {}),
      retry: { retries: 10 },
    });
    const { GROUP_JOIN, CRASH, STOP, END_BATCH_PROCESS } = this.consumer.events;
    this.consumer.on(GROUP_JOIN, ({ payload }) => {
      this.inGroup = true;
      this.logger.info(
        { memberId: payload.memberId, assignment: payload.memberAssignment },
        'joined consumer group',
      );
    });
    this.consumer.on(STOP, () => {
      this.inGroup = false;
    });
    this.consumer.on(CRASH, ({ payload }) => {
      this.inGroup = false;
      this.logger.error({ error: errorSummary(payload.error), restart: payload.restart }, 'consumer crashed');
      if (!payload.restart) this.options.onFatal(payload.error);
    });
    if (options.onLag) {
      const onLag = options.onLag;
      this.consumer.on(END_BATCH_PROCESS, ({ payload }) => {
        onLag({ topic: payload.topic, partition: payload.partition }, Number(payload.offsetLag));
      });
    }
  }

  get joined(): boolean {
    return this.inGroup;
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.options.topic, fromBeginning: true });
    await this.consumer.run({
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.partitionsPerPass,
      // kafkajs's own commits come after each partition's batch: a pass of three partitions sent
      // three OffsetCommit requests, each with all three offsets (none had been answered yet). A
      // pass commits its offsets itself, once.
      autoCommit: false,
      eachBatch: (payload) => this.eachBatch(payload),
    });
  }

  /** Leaves the group after the micro-batch in flight has finished and been committed. */
  async stop(): Promise<void> {
    await this.consumer.disconnect();
    this.inGroup = false;
  }

  private async eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, isRunning, isStale } = payload;
    const source = { topic: batch.topic, partition: batch.partition };
    try {
      for (let start = 0; start < batch.messages.length; start += this.options.maxBatch) {
        if (!isRunning() || isStale()) return;
        this.options.onBuffered?.(batch.messages.length - start);
        const messages = batch.messages.slice(start, start + this.options.maxBatch);
        const rebalancing = await this.processWithRetries({ messages, source }, payload);
        resolveOffset((messages[messages.length - 1] as KafkaMessage).offset);
        // The partition may be about to move to another worker: hand it over rather than go on.
        if (rebalancing) return;
        await payload.heartbeat();
      }
    } finally {
      this.options.onBuffered?.(0);
    }
  }

  /**
   * Commits the offsets after a pass's micro-batches in one request. Through a batch payload rather
   * than Consumer.commitOffsets, which does nothing once the consumer is stopping: the pass in flight
   * at a stop must still commit.
   */
  private async commit(batches: readonly MicroBatch[]): Promise<void> {
    const payload = this.payloads.get(batches[0] as MicroBatch) as EachBatchPayload;
    // Every micro-batch comes from the one subscribed topic.
    const partitions = batches.map((batch) => ({
      partition: batch.source.partition,
      offset: nextOffset(batch),
    }));
    await payload.commitOffsetsIfNecessary({ topics: [{ topic: this.options.topic, partitions }] });
  }

  /** Resolves once the handler has succeeded; true when a rebalance started in the meantime. */
  private async processWithRetries(microBatch: MicroBatch, payload: EachBatchPayload): Promise<boolean> {
    let rebalancing = false;
    // Heartbeats while the handler runs: a slow store must not look like a dead worker.
    const keepAlive = setInterval(() => {
      payload.heartbeat().catch((error: unknown) => {
        // Other failures (the broker is restarting) are kafkajs's to retry; the batch goes on.
        if (isRebalance(error)) rebalancing = true;
      });
    }, this.options.heartbeatIntervalMs);
    let resume: (() => void) | undefined;
    this.payloads.set(microBatch, payload);
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          await this.passes.submit(microBatch);
          return rebalancing;
        } catch (error) {
          // Stopping, or the partition is no longer ours: leave the offsets unresolved for a replay.
          if (!payload.isRunning() || payload.isStale() || rebalancing || (await this.leftGroup(payload))) {
            throw error;
          }
          const delayMs = retryDelayMs(attempt, this.options.retryBackoffMaxMs);
          if (!resume) {
            resume = payload.pause();
            this.options.onPause?.(true);
          }
          this.options.onRetry?.(error, attempt, delayMs);
          this.logger.warn(
            { ...microBatch.source, attempt, delayMs, error: errorSummary(error) },
            'micro-batch failed; partition paused, retrying',
          );
          await this.sleepUnlessStopped(delayMs, payload);
        }
      }
    } finally {
      clearInterval(keepAlive);
      if (resume) {
        resume();
        this.options.onPause?.(false);
      }
    }
  }

  /** Asks the coordinator; a worker that has been evicted must not retry a partition it lost. */
  private async leftGroup(payload: EachBatchPayload): Promise<boolean> {
    try {
      await payload.heartbeat();
      return false;
    } catch (error) {
      return isRebalance(error);
    }
  }

  private async sleepUnlessStopped(ms: number, payload: EachBatchPayload): Promise<void> {
    const until = Date.now() + ms;
    while (Date.now() < until && payload.isRunning()) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(STOP_POLL_MS, until - Date.now())));
    }
  }
}
