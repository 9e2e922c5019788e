import { describe, expect, it } from 'vitest';
import { parseRedisUrl } from '../../src/stack/endpoints.js';
import {
  cleanUp,
  faultStack,
  faultTest,
  MetricSampler,
  prepareStream,
  produceAll,
  SlowProxy,
  sleep,
  verify,
  WorkerProcess,
} from './harness.js';

const PUBLISHED = 'seqscore_scores_published_total';

describe('Redis slowed down under a steady stream', () => {
  it('pauses the consumer and holds at most one fetch in memory, then catches up', async () => {
    const proxy = await SlowProxy.start(parseRedisUrl(faultStack().env.REDIS_URL as string));
    const test = await faultTest('backpressure', {
      REDIS_URL: `redis://127.0.0.1:${proxy.port}`,
      SEQSCORE_REDIS_COMMAND_TIMEOUT: '1s',
    });
    const { messages, expected, scores, deadLetters } = await prepareStream(test, {
      events: 30_000,
      users: 500,
      seed: 61,
      outOfOrderEvery: 47,
      lateEvery: 601,
      invalidEvery: 311,
    });
    try {
      const worker = await WorkerProcess.start(test, 'worker');
      await worker.waitReady();
      const sampler = new MetricSampler(worker, [
        'seqscore_batch_retries_total',
        'seqscore_consumer_paused_partitions',
        'seqscore_consumer_buffered_messages',
        'process_resident_memory_bytes',
      ]);
      let produced = 0;
      const producing = produceAll(test.kafka, test.config.topics.input, messages, {
        ratePerSecond: 1_500,
        onProgress: (sent) => (produced = sent),
      });
      await worker.waitForMetric(PUBLISHED, 2_000, 120_000);
      // Slow (every round trip about 300 ms, under the command timeout), then stalled (beyond it).
      proxy.delayMs = 150;
      await sleep(10_000);
      proxy.delayMs = 1_500;
      await sleep(10_000);
      const backlog = produced - ((await worker.metric('seqscore_events_consumed_total')) ?? 0);
      proxy.delayMs = 0;
      const fastAgainAt = Date.now();
      const atRelease = (await worker.metric(PUBLISHED)) ?? 0;
      const recoveredAt = await worker.waitForMetric(PUBLISHED, atRelease, 120_000);
      await producing;
      const max = sampler.stop();
      await verify(test, expected, {
        scores,
        deadLetters,
        sent: messages.length,
        recoverySeconds: (recoveredAt - fastAgainAt) / 1000,
        note: `Redis +300 ms per round trip for 10 s, then +3 s (past the 1 s timeout) for 10 s`,
      });
      const buffered = max.get('seqscore_consumer_buffered_messages') ?? 0;
      console.log(
        `backpressure: retries ${max.get('seqscore_batch_retries_total')}, paused partitions at most ` +
          `${max.get('seqscore_consumer_paused_partitions')}, backlog ${backlog} messages when Redis came back, ` +
          `buffered at most ${buffered} messages, worker RSS at most ` +
          `${Math.round((max.get('process_resident_memory_bytes') ?? 0) / 2 ** 20)} MiB`,
      );
      expect(max.get('seqscore_batch_retries_total')).toBeGreaterThan(0);
      expect(max.get('seqscore_consumer_paused_partitions')).toBeGreaterThan(0);
      // The backlog grew far beyond what the worker held: one fetch (1 MiB, messages of 100+ bytes).
      expect(buffered).toBeLessThanOrEqual((1024 * 1024) / 100);
      expect(backlog).toBeGreaterThan(buffered);
      worker.signal('SIGTERM');
      expect((await worker.exited).code).toBe(0);
    } finally {
      await cleanUp(test, scores, deadLetters);
      await proxy.stop();
    }
  });
});
