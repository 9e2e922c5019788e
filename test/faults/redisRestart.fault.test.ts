import { describe, it } from 'vitest';
import { restartScenario } from './restartScenario.js';

describe('Redis restarted mid-stream', () => {
  it('pauses and retries, then catches up with nothing lost or applied twice', async () => {
    await restartScenario('redis', 21);
  });
});
