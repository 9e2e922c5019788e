import { type ConsumerConfig, type Kafka, Partitioners } from 'kafkajs';
import type { Config } from '../../src/config.js';

/**
 * What the baseline workers share: a consumer group member subscribed to the input topic from its
 * beginning, and an idempotent producer, as the worker configures them; both connected.
 */
export async function connectedClients(kafka: Kafka, config: Config, fetch: Partial<ConsumerConfig> = {}) {
  const consumer = kafka.consumer({
    groupId: config.kafka.groupId,
    sessionTimeout: config.kafka.sessionTimeoutMs,
    heartbeatInterval: config.kafka.heartbeatIntervalMs,
    ...fetch,
  });
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  await consumer.connect();
  await consumer.subscribe({ topic: config.topics.input, fromBeginning: true });
  return { consumer, producer };
}

/** Stops a benchmark worker cleanly on SIGTERM/SIGINT; exits 1 if stopping fails. */
export function runUntilSignal(stop: () => Promise<void>): void {
  const shutdown = () => {
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}
