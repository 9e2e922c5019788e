import { type Kafka, Partitioners, type Producer } from 'kafkajs';
import {
  MAX_REQUEST_BYTES,
  type PublishBatch,
  type PublishTopics,
  produceRequests,
  toTopicMessages,
} from './publisher.js';

/**
 * Publishes a micro-batch and commits its input offset in one Kafka transaction, so that a reader
 * with isolation read_committed (the kafkajs default) sees each batch's scores exactly once, even
 * when a crashed worker's batch is replayed.
 *
 * One transactional producer per input partition, with the transactional id
 * `<group>-<topic>-<partition>`: whoever takes a partition over fences the previous owner's
 * producer, which aborts any transaction it left open (the classic, per-partition form of Kafka's
 * exactly-once, since kafkajs cannot send the consumer's group generation with its offsets).
 */
export class TransactionalPublisher {
  private readonly producers = new Map<string, Promise<Producer>>();

  constructor(
    private readonly kafka: Kafka,
    private readonly topics: PublishTopics,
    private readonly groupId: string,
    private readonly clock: () => number = Date.now,
  ) {}

  async publish(batch: PublishBatch): Promise<void> {
    if (batch.inputs.length !== 1) {
      throw new Error(`a transaction commits the offsets of one input partition, not ${batch.inputs.length}`);
    }
    const { topic, partition, nextOffset } = batch.inputs[0] as PublishBatch['inputs'][number];
    const transactionalId = `${this.groupId}-${topic}-${partition}`;
    const producer = await this.producer(transactionalId);
    try {
      const transaction = await producer.transaction();
      const topicMessages = toTopicMessages(batch, this.topics, this.clock());
      for (const request of produceRequests(topicMessages, MAX_REQUEST_BYTES)) {
        await transaction.sendBatch({ topicMessages: request, acks: -1 });
      }
      await transaction.sendOffsets({
        consumerGroupId: this.groupId,
        topics: [{ topic, partitions: [{ partition, offset: nextOffset }] }],
      });
      await transaction.commit();
    } catch (error) {
      // Whatever state the transaction was left in, a new producer with the same id aborts it (and
      // is refused, should the partition belong to another worker by now).
      this.producers.delete(transactionalId);
      await producer.disconnect().catch(() => undefined);
      throw error;
    }
  }

  async disconnect(): Promise<void> {
    const producers = await Promise.allSettled(this.producers.values());
    this.producers.clear();
    for (const producer of producers) {
      if (producer.status === 'fulfilled') await producer.value.disconnect();
    }
  }

  private producer(transactionalId: string): Promise<Producer> {
    let producer = this.producers.get(transactionalId);
    if (!producer) {
      const created = this.kafka.producer({
        transactionalId,
        idempotent: true,
        maxInFlightRequests: 1,
        createPartitioner: Partitioners.DefaultPartitioner,
      });
      producer = created.connect().then(() => created);
      producer.catch(() => this.producers.delete(transactionalId));
      this.producers.set(transactionalId, producer);
    }
    return producer;
  }
}
