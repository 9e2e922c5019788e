import { describe, expect, it } from 'vitest';
import { cleanUp, faultTest, prepareStream, produceAll, verify, WorkerProcess } from './harness.js';

const PUBLISHED = 'seqscore_scores_published_total';

describe('kill -9 with SEQSCORE_KAFKA_TRANSACTIONS', () => {
  it('gives read_committed readers every score exactly once', async () => {
    const test = await faultTest('kill-9-transactional', { SEQSCORE_KAFKA_TRANSACTIONS: 'true' });
    const { messages, expected, scores, deadLetters } = await prepareStream(test, {
      events: 20_000,
      users: 500,
      seed: 81,
      outOfOrderEvery: 53,
      lateEvery: 499,
      invalidEvery: 199,
    });
    try {
      const first = await WorkerProcess.start(test, 'first');
      await first.waitReady();
      await produceAll(test.kafka, test.config.topics.input, messages);
      await first.waitForMetric(PUBLISHED, messages.length * 0.4, 300_000);
      const killedAt = Date.now();
      first.signal('SIGKILL');
      await first.exited;
      const second = await WorkerProcess.start(test, 'second');
      const recoveredAt = await second.waitForMetric(PUBLISHED, 0, 120_000);
      const figures = await verify(test, expected, {
        scores,
        deadLetters,
        sent: messages.length,
        recoverySeconds: (recoveredAt - killedAt) / 1000,
        note: 'transactions on: SIGKILL after 40%, restart; read_committed',
      });
      expect(figures.scoresReceived, 'score messages, duplicates included').toBe(expected.scored.size);
      second.signal('SIGTERM');
      expect((await second.exited).code).toBe(0);
    } finally {
      await cleanUp(test, scores, deadLetters);
    }
  });
});
