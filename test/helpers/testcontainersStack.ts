import { KafkaContainer } from '@testcontainers/kafka';
import { RedisContainer } from '@testcontainers/redis';
import { getContainerRuntimeClient } from 'testcontainers';

/**
 * Kafka and Redis in containers, for machines with Docker: `SEQSCORE_TEST_STACK=testcontainers`.
 * Confluent Platform 7.9 is Apache Kafka 3.9, the newest line kafkajs can talk to (the same version
 * as the local stack).
 */
export const KAFKA_IMAGE = 'confluentinc/cp-kafka:7.9.0';
export const REDIS_IMAGE = 'redis:7.4-alpine';

export interface ContainerStack {
  /** KAFKA_BROKERS and REDIS_URL of the containers. */
  env: { KAFKA_BROKERS: string; REDIS_URL: string };
  stop: () => Promise<void>;
}

export async function startContainerStack(log: (line: string) => void): Promise<ContainerStack> {
  try {
    const runtime = await getContainerRuntimeClient();
    log(`container runtime: ${runtime.info.containerRuntime.host}`);
  } catch (error) {
    throw new Error(
      `SEQSCORE_TEST_STACK=testcontainers needs a Docker engine, and none answers (${(error as Error).message}); unset it to use the local-process stack`,
    );
  }
  log(`starting ${KAFKA_IMAGE} (KRaft) and ${REDIS_IMAGE}`);
  const [kafka, redis] = await Promise.all([
    new KafkaContainer(KAFKA_IMAGE)
      .withKraft()
      .withEnvironment({ KAFKA_NUM_PARTITIONS: '6', KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0' })
      .start(),
    new RedisContainer(REDIS_IMAGE).start(),
  ]);
  return {
    env: {
      // The listener that testcontainers advertises to the host.
      KAFKA_BROKERS: `${kafka.getHost()}:${kafka.getMappedPort(9093)}`,
      REDIS_URL: redis.getConnectionUrl(),
    },
    stop: async () => {
      await Promise.all([kafka.stop(), redis.stop()]);
    },
  };
}
