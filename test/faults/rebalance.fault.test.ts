import { describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/integration.js';
import { cleanUp, faultTest, prepareStream, produceAll, verify, WorkerProcess } from './harness.js';

const PUBLISHED = 'seqscore_scores_published_total';
const joins = (worker: WorkerProcess) => worker.log().split('"msg":"joined consumer group"').length - 1;

describe('two workers in one group, one stopped mid-stream', () => {
  it('hands its partitions to the other, which goes on with nothing lost or applied twice', async () => {
    const test = await faultTest('rebalance');
    const { messages, expected, scores, deadLetters } = await prepareStream(test, {
      events: 30_000,
      users: 800,
      seed: 41,
      outOfOrderEvery: 37,
      lateEvery: 701,
      invalidEvery: 307,
    });
    try {
      const [a, b] = await Promise.all([WorkerProcess.start(test, 'a'), WorkerProcess.start(test, 'b')]);
      await Promise.all([a.waitReady(), b.waitReady()]);
      const producing = produceAll(test.kafka, test.config.topics.input, messages, { ratePerSecond: 1_000 });
      // Both must be doing real work, each on its share of the partitions.
      await a.waitForMetric(PUBLISHED, 2_000, 120_000);
      await b.waitForMetric(PUBLISHED, 2_000, 120_000);
      const joinsBefore = joins(a);
      b.signal('SIGTERM');
      const stopped = await b.exited;
      expect(stopped.code).toBe(0);
      await waitFor(() => joins(a) > joinsBefore, 60_000, 'worker a to rejoin with all partitions');
      const rebalancedAt = Date.now();
      await producing;
      await verify(test, expected, {
        scores,
        deadLetters,
        sent: messages.length,
        recoverySeconds: (rebalancedAt - stopped.at) / 1000,
        note: 'worker b stopped (SIGTERM) mid-stream; recovery = until a rejoined with its partitions',
      });
      a.signal('SIGTERM');
      expect((await a.exited).code).toBe(0);
    } finally {
      await cleanUp(test, scores, deadLetters);
    }
  });
});
