import { stackDown, stackUp } from '../../src/stack/index.js';
import { startContainerStack } from './testcontainersStack.js';

/**
 * Integration tests run against a real Kafka and Redis, from one of two stacks, chosen by
 * SEQSCORE_TEST_STACK and printed at the start of the run:
 * - `local` (default): the local-process stack is started unless it (or the services KAFKA_BROKERS /
 *   REDIS_URL point at) already answers, and only what was started here is stopped afterwards;
 * - `testcontainers`: Kafka and Redis in fresh containers (needs Docker), removed afterwards. Their
 *   addresses reach the tests, and the workers these spawn, through KAFKA_BROKERS and REDIS_URL.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const choice = process.env.SEQSCORE_TEST_STACK || 'local';
  if (choice === 'testcontainers') {
    console.log('[stack] SEQSCORE_TEST_STACK=testcontainers: Kafka and Redis in containers');
    const containers = await startContainerStack((line) => console.log(`[stack] ${line}`));
    Object.assign(process.env, containers.env);
    console.log(`[stack] kafka at ${containers.env.KAFKA_BROKERS}, redis at ${containers.env.REDIS_URL}`);
    return containers.stop;
  }
  if (choice !== 'local') {
    throw new Error(`SEQSCORE_TEST_STACK must be "local" or "testcontainers", not "${choice}"`);
  }
  console.log('[stack] SEQSCORE_TEST_STACK=local: the local-process stack (Kafka and redis-server)');
  const result = await stackUp({ onProgress: (line) => console.log(`[stack] ${line}`) });
  for (const service of result.services)
    console.log(`[stack] ${service.service} at ${service.address}: ${service.outcome}`);
  return async () => {
    if (result.started.length > 0) await stackDown({ services: result.started });
  };
}
