import { stackDown, stackUp } from '../../src/stack/index.js';

/**
 * Integration tests run against a real Kafka and Redis: the local stack is started unless it (or
 * the services KAFKA_BROKERS / REDIS_URL point at) already answers, and only what was started here
 * is stopped afterwards.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const result = await stackUp({ onProgress: (line) => console.log(`[stack] ${line}`) });
  for (const service of result.services)
    console.log(`[stack] ${service.service} at ${service.address}: ${service.outcome}`);
  return async () => {
    if (result.started.length > 0) await stackDown({ services: result.started });
  };
}
