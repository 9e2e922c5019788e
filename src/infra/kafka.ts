import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import {
  Kafka,
  type KafkaConfig as KafkaJsConfig,
  logLevel as KafkaLogLevel,
  type logCreator,
  type SASLOptions,
} from 'kafkajs';
import type { KafkaConfig } from '../config.js';
import { errorSummary, type Logger } from '../logger.js';

/**
 * kafkajs logs through pino, so the worker's output stays one JSON stream. Errors it passes along
 * (including ours, from a failed batch) are reduced to their summary, so no payload rides along.
 */
function pinoLogCreator(logger: Logger): logCreator {
  return () =>
    ({ level, log }) => {
      const { message, ...fields } = log;
      const extra = Object.fromEntries(
        Object.entries(fields).map(([name, value]) => [
          name,
          value instanceof Error ? errorSummary(value) : value,
        ]),
      );
      const target = logger.child({ component: 'kafkajs', namespace: log.namespace });
      if (level === KafkaLogLevel.ERROR) target.error(extra, message);
      else if (level === KafkaLogLevel.WARN) target.warn(extra, message);
      else if (level === KafkaLogLevel.INFO) target.info(extra, message);
      else target.debug(extra, message);
    };
}

/** What any Kafka client needs to reach the brokers: addresses, TLS and SASL. */
export type KafkaConnection = Pick<KafkaConfig, 'brokers' | 'ssl' | 'sasl'>;

export function kafkaConnectionOptions(
  connection: KafkaConnection,
): Pick<KafkaJsConfig, 'brokers' | 'ssl' | 'sasl'> {
  const options: Pick<KafkaJsConfig, 'brokers' | 'ssl' | 'sasl'> = { brokers: connection.brokers };
  if (connection.ssl) {
    const { caFile, certFile, keyFile, rejectUnauthorized } = connection.ssl;
    const tls: ConnectionOptions = { rejectUnauthorized };
    if (caFile) tls.ca = [readFileSync(caFile, 'utf8')];
    if (certFile) tls.cert = readFileSync(certFile, 'utf8');
    if (keyFile) tls.key = readFileSync(keyFile, 'utf8');
    options.ssl = tls;
  }
  if (connection.sasl) {
    const { mechanism, username, password } = connection.sasl;
    // Each mechanism takes exactly these fields; the cast only merges kafkajs's per-mechanism union.
    options.sasl = { mechanism, username, password } as SASLOptions;
  }
  return options;
}

export interface KafkaClientOptions {
  /** Defaults to the configured client id. */
  clientId?: string;
  logger?: Logger;
}

export function createKafka(
  connection: KafkaConnection & { clientId: string },
  options: KafkaClientOptions = {},
): Kafka {
  return new Kafka({
    ...kafkaConnectionOptions(connection),
    clientId: options.clientId ?? connection.clientId,
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
