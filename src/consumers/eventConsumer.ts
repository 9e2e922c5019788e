import type { Consumer, Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from '../logger.js';

export interface MessageSource {
  topic: string;
  partition: number;
}

/** Processes one micro-batch of one partition; resolves once its effects are durable. */
export type MicroBatchHandler = (messages: KafkaMessage[], source: MessageSource) => Promise<void>;

export interface EventConsumerOptions {
  topic: string;
  groupId: string;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  maxBatch: number;
  onLag?: (source: MessageSource, lag: number) => void;
  /** Called when kafkajs gives up and will not restart the consumer: the process should exit. */
  onFatal: (error: Error) => void;
}

/**
 * The input side: a consumer-group member that cuts each fetched batch into micro-batches, hands
 * each to the handler, and marks its offsets for commit only after the handler has resolved. A
 * handler failure leaves the offsets unresolved, so kafkajs retries from the last committed one.
 */
export class EventConsumer {
  private readonly consumer: Consumer;
  private inGroup = false;

  constructor(
    kafka: Kafka,
    private readonly options: EventConsumerOptions,
    private readonly handler: MicroBatchHandler,
    private readonly logger: Logger,
  ) {
    this.consumer = kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: options.sessionTimeoutMs,
      heartbeatInterval: options.heartbeatIntervalMs,
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
      this.logger.error({ err: payload.error, restart: payload.restart }, 'consumer crashed');
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
      autoCommit: true,
      eachBatch: async ({
        batch,
        resolveOffset,
        heartbeat,
        commitOffsetsIfNecessary,
        isRunning,
        isStale,
      }) => {
        const source = { topic: batch.topic, partition: batch.partition };
        for (let start = 0; start < batch.messages.length; start += this.options.maxBatch) {
          if (!isRunning() || isStale()) return;
          const messages = batch.messages.slice(start, start + this.options.maxBatch);
          await this.handler(messages, source);
          resolveOffset((messages[messages.length - 1] as KafkaMessage).offset);
          await commitOffsetsIfNecessary();
          await heartbeat();
        }
      },
    });
  }

  /** Leaves the group after the micro-batch in flight has finished and been committed. */
  async stop(): Promise<void> {
    await this.consumer.disconnect();
    this.inGroup = false;
  }
}
