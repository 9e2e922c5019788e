import { randomUUID } from 'node:crypto';
import { stackDown, stackUp } from '../../src/stack/index.js';
import { startContainerStack } from './testcontainersStack.js';
import { removeRunData, TEST_RUN_VARIABLE } from './testRun.js';

/**
 * Integration tests run against a real Kafka and Redis, from one of two stacks, chosen by
 * SEQSCORE_TEST_STACK and printed at the start of the run:
 * - `local` (default): the local-process stack is started unless it (or the services KAFKA_BROKERS /
 *   REDIS_URL point at) already answers, and only what was started here is stopped afterwards;
 * - `testcontainers`: Kafka and Redis in fresh containers (needs Docker), removed afterwards. Their
 *   addresses reach the tests, and the workers these spawn, through KAFKA_BROKERS and REDIS_URL.
 * On the local stack, the run's topics and Redis keys are deleted at the end (see testRun.ts).
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
  const run = randomUUID().slice(0, 8);
  process.env[TEST_RUN_VARIABLE] = run;
  const result = await stackUp({ onProgress: (line) => console.log(`[stack] ${line}`) });
  for (const service of result.services)
    console.log(`[stack] ${service.service} at ${service.address}: ${service.outcome}`);
  return async () => {
    // A failed clean-up leaves data behind but says nothing about the tests: it must not fail the run.
    await removeRunData(run).then(
      (removed) =>
        console.log(`[stack] removed this run's ${removed.topics} topics and ${removed.keys} Redis keys`),
      (error: unknown) =>
        console.warn(`[stack] could not remove this run's topics and keys: ${String(error)}`),
    );
    if (result.started.length > 0) await stackDown({ services: result.started });
  };
}
