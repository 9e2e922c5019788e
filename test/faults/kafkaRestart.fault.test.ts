import { describe, it } from 'vitest';
import { restartScenario } from './restartScenario.js';

describe('Kafka broker restarted mid-stream', () => {
  it('rides out the outage, then catches up with nothing lost or applied twice', async () => {
    await restartScenario('kafka', 31);
  });
});
