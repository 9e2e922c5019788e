import { describe, it } from 'vitest';
import { cleanUp, faultTest, prepareStream, produceAll, verify, WorkerProcess } from './harness.js';

describe('kill -9 of a worker in the middle of the stream', () => {
  it('loses no event, and leaves every window and score as a clean replay would', async () => {
    const test = await faultTest('kill-9');
    const { messages, expected, scores, deadLetters } = await prepareStream(test, {
      events: 100_000,
      users: 2_000,
      seed: 11,
      outOfOrderEvery: 53,
      lateEvery: 997,
      invalidEvery: 499,
    });
    try {
      const first = await WorkerProcess.start(test, 'first');
      await first.waitReady();
      await produceAll(test.kafka, test.config.topics.input, messages);
      await first.waitForMetric('seqscore_scores_published_total', messages.length * 0.4, 300_000);
      const scoredBeforeKill = (await first.metric('seqscore_scores_published_total')) ?? 0;
      const killedAt = Date.now();
      first.signal('SIGKILL');
      await first.exited;
      const second = await WorkerProcess.start(test, 'second');
      const recoveredAt = await second.waitForMetric('seqscore_scores_published_total', 0, 120_000);
      await verify(test, expected, {
        scores,
        deadLetters,
        sent: messages.length,
        recoverySeconds: (recoveredAt - killedAt) / 1000,
        note: `SIGKILL after ${scoredBeforeKill} scores; restart, rejoin after the session timeout`,
      });
      second.signal('SIGTERM');
      await second.exited;
    } finally {
      await cleanUp(test, scores, deadLetters);
    }
  });
});
