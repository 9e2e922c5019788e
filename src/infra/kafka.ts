import { Kafka, logLevel as KafkaLogLevel, type logCreator } from 'kafkajs';
import type { Logger } from '../logger.js';

/** kafkajs logs through pino, so the worker's output stays one JSON stream. */
function pinoLogCreator(logger: Logger): logCreator {
  return () =>
    ({ level, log }) => {
      const { message, ...extra } = log;
      const target = logger.child({ component: 'kafkajs', namespace: log.namespace });
      if (level === KafkaLogLevel.ERROR) target.error(extra, message);
      else if (level === KafkaLogLevel.WARN) target.warn(extra, message);
      else if (level === KafkaLogLevel.INFO) target.info(extra, message);
      else target.debug(extra, message);
    };
}

export interface KafkaClientOptions {
  brokers: string[];
  clientId: string;
  logger?: Logger;
}

export function createKafka(options: KafkaClientOptions): Kafka {
  return new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    logLevel: options.logger ? KafkaLogLevel.INFO : KafkaLogLevel.NOTHING,
    ...(options.logger ? { logCreator: pinoLogCreator(options.logger) } : {}),
    retry: { initialRetryTime: 300, retries: 10 },
  });
}

export interface TopicSpec {
  topic: string;
  partitions: number;
}

/** Creates the topics that do not exist yet; existing ones are left as they are. */
export async function ensureTopics(kafka: Kafka, topics: readonly TopicSpec[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((spec) => !existing.has(spec.topic));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((spec) => ({
          topic: spec.topic,
          numPartitions: spec.partitions,
          replicationFactor: -1,
        })),
      });
    }
  } finally {
    await admin.disconnect();
  }
}
