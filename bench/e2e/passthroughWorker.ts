import { loadConfig } from '../../src/config.js';
import { createKafka } from '../../src/infra/kafka.js';
import { connectedClients, runUntilSignal } from './childProcess.js';

/**
 * The ceiling of this stack: the worker's Kafka path (one consumer group member, one idempotent
 * produce with acks=all per fetched batch, offsets committed after it) with no Redis and no model.
 * Each input message goes out unchanged.
 */
const config = loadConfig();
const kafka = createKafka(config.kafka, { clientId: 'bench-passthrough' });
const { consumer, producer } = await connectedClients(kafka, config, {
  maxBytes: config.kafka.fetchMaxBytes,
  maxBytesPerPartition: Math.min(config.kafka.fetchMaxBytes, 1024 * 1024),
});
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
