import { Partitioners } from 'kafkajs';
import { loadConfig } from '../../src/config.js';
import { createKafka } from '../../src/infra/kafka.js';
import { runUntilSignal } from './childProcess.js';

/**
 * The ceiling of this stack: the worker's Kafka path (one consumer group member, one idempotent
 * produce with acks=all per fetched batch, offsets committed after it) with no Redis and no model.
 * Each input message goes out unchanged.
 */
const config = loadConfig();
const kafka = createKafka(config.kafka, { clientId: 'bench-passthrough' });
const consumer = kafka.consumer({
  groupId: config.kafka.groupId,
  sessionTimeout: config.kafka.sessionTimeoutMs,
  heartbeatInterval: config.kafka.heartbeatIntervalMs,
  maxBytes: config.kafka.fetchMaxBytes,
  maxBytesPerPartition: Math.min(config.kafka.fetchMaxBytes, 1024 * 1024),
});
const producer = kafka.producer({
  idempotent: true,
  maxInFlightRequests: 1,
  createPartitioner: Partitioners.DefaultPartitioner,
});

await producer.connect();
await consumer.connect();
await consumer.subscribe({ topic: config.topics.input, fromBeginning: true });
await consumer.run({
  eachBatch: async ({ batch }) => {
    await producer.send({
      topic: config.topics.output,
      acks: -1,
      messages: batch.messages.map((message) => ({ key: message.key, value: message.value })),
    });
  },
});
runUntilSignal(async () => {
  await consumer.disconnect();
  await producer.disconnect();
});
