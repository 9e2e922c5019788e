import { describe, expect, it } from 'vitest';
import { parseRedisUrl } from '../../src/stack/endpoints.js';
import {
  cleanUp,
  committedByPartition,
  faultStack,
  faultTest,
  prepareStream,
  produceAll,
  readInput,
  SlowProxy,
  sleep,
  verify,
  WorkerProcess,
} from './harness.js';

const PUBLISHED = 'seqscore_scores_published_total';

describe('SIGTERM to a worker mid-stream', () => {
  it('finishes its micro-batch, commits exactly what it processed, exits 0, and a successor loses nothing', async () => {
    // Redis behind a proxy that is slowed at the signal, so that a micro-batch is surely in flight.
    const proxy = await SlowProxy.start(parseRedisUrl(faultStack().env.REDIS_URL as string));
    const test = await faultTest('sigterm', {
      REDIS_URL: `redis://127.0.0.1:${proxy.port}`,
      SEQSCORE_SHUTDOWN_TIMEOUT: '20s',
    });
    const { messages, expected, scores, deadLetters } = await prepareStream(test, {
      events: 20_000,
      users: 500,
      seed: 51,
      outOfOrderEvery: 43,
      lateEvery: 503,
      invalidEvery: 257,
    });
    try {
      const first = await WorkerProcess.start(test, 'first');
      await first.waitReady();
      const producing = produceAll(test.kafka, test.config.topics.input, messages, { ratePerSecond: 1_000 });
      await first.waitForMetric(PUBLISHED, 5_000, 120_000);
      proxy.delayMs = 200;
      await sleep(500);
      const signalledAt = Date.now();
      first.signal('SIGTERM');
      const stopped = await first.exited;
      proxy.delayMs = 0;
      // Exit 0 is only possible within SEQSCORE_SHUTDOWN_TIMEOUT; past it the worker exits 1.
      expect(stopped.code).toBe(0);
      const stopSeconds = (stopped.at - signalledAt) / 1000;
      await producing;
      await sleep(3_000);

      // Offsets committed = exactly the messages with effects: none without, none left uncommitted.
      const committed = await committedByPartition(test);
      const input = await readInput(test, messages.length);
      const decided = (value: Buffer) => {
        const text = value.toString('utf8');
        try {
          const eventId = (JSON.parse(text) as { eventId?: unknown }).eventId;
          if (typeof eventId === 'string' && scores.entries.has(eventId)) return true;
        } catch {}
        return deadLetters.entries.has(value.toString('latin1'));
      };
      const mismatched = input.filter(
        (record) => record.offset < (committed.get(record.partition) ?? 0) !== decided(record.value),
      );
      const committedTotal = [...committed.values()].reduce((sum, offset) => sum + offset, 0);
      console.log(
        `sigterm: exit 0 after ${stopSeconds.toFixed(1)} s, ${committedTotal} offsets committed, ${mismatched.length} not matching`,
      );
      expect(committedTotal).toBeGreaterThan(0);
      expect(mismatched).toEqual([]);

      const second = await WorkerProcess.start(test, 'second');
      const startedAt = Date.now();
      const recoveredAt = await second.waitForMetric(PUBLISHED, 0, 120_000);
      await verify(test, expected, {
        scores,
        deadLetters,
        sent: messages.length,
        recoverySeconds: (recoveredAt - startedAt) / 1000,
        note: `SIGTERM: exit 0 after ${stopSeconds.toFixed(1)} s, committed = processed; recovery = successor's first score`,
      });
      second.signal('SIGTERM');
      expect((await second.exited).code).toBe(0);
    } finally {
      await cleanUp(test, scores, deadLetters);
      await proxy.stop();
    }
  });
});
