import { Redis } from 'ioredis';
import { loadConfig } from '../../src/config.js';
import { createKafka } from '../../src/infra/kafka.js';
import { redisConnectionOptions } from '../../src/infra/redis.js';

/**
 * The global setup names each test run, and integration tests put the name in their topics and
 * Redis key prefixes, so that the run's data can be removed at its end: a local stack kept running
 * between runs otherwise gathers hundreds of topics, which slow the broker down for everyone.
 */
export const TEST_RUN_VARIABLE = 'SEQSCORE_TEST_RUN';

export function itNamePrefix(run: string): string {
  return `it-${run}-`;
}

/** Deletes the run's topics (consumer groups expire on their own) and Redis keys. */
export async function removeRunData(run: string): Promise<{ topics: number; keys: number }> {
  const prefix = itNamePrefix(run);
  const config = loadConfig();
  const admin = createKafka(config.kafka, { clientId: 'seqscore-test-cleanup' }).admin();
  const redis = new Redis(config.redis.url, redisConnectionOptions(config.redis));
  try {
    await admin.connect();
    const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(prefix));
    if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 60_000 });
    let keys = 0;
    for await (const batch of redis.scanStream({ match: `${prefix}*`, count: 1000 })) {
      const names = batch as string[];
      if (names.length > 0) keys += await redis.unlink(...names);
    }
    return { topics: topics.length, keys };
  } finally {
    await admin.disconnect();
    redis.disconnect();
  }
}
