import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import {
  kafkaAnswers,
  redisAnswers,
  type ServiceName,
  stackDown,
  stackStatus,
  stackUp,
} from '../../src/stack/index.js';

// Real Kafka and Redis. The suite's global setup normally has them running already; stackUp is
// idempotent, so this file also works on its own and then stops only what it started itself.
describe('local stack', () => {
  let started: ServiceName[] = [];

  beforeAll(async () => {
    ({ started } = await stackUp({ readyTimeoutMs: 120_000 }));
  }, 300_000);

  afterAll(async () => {
    if (started.length > 0) await stackDown({ services: started });
  }, 60_000);

  it('reports both services answering', async () => {
    const status = await stackStatus();
    expect(status.services.map((service) => service.service)).toEqual(['kafka', 'redis']);
    for (const service of status.services) {
      expect(service, `${service.service} at ${service.address}`).toMatchObject({ answering: true });
      expect(service.mode).not.toBe('stopped');
    }
  });

  it('is idempotent: a second stackUp starts nothing', async () => {
    const again = await stackUp();
    expect(again.started).toEqual([]);
    expect(again.services.map((service) => service.outcome).sort()).not.toContain('started');
  }, 120_000);

  it('serves real clients at the configured addresses', async () => {
    const config = loadConfig();
    expect(await kafkaAnswers(config.kafka)).toBe(true);
    expect(await redisAnswers(config.redis)).toBe(true);
  });
});
