import { expect } from 'vitest';
import type { ServiceName } from '../../src/stack/types.js';
import {
  cleanUp,
  faultStack,
  faultTest,
  MetricSampler,
  PAYLOAD_MARKER,
  prepareStream,
  produceAll,
  restartService,
  verify,
  WorkerProcess,
} from './harness.js';

const PUBLISHED = 'seqscore_scores_published_total';

/**
 * A worker scores a stream produced at a steady rate; mid-stream one service of the stack is
 * stopped for a few seconds and started again. The worker must ride it out (pause, retry with
 * backoff, bounded memory), then catch up with nothing lost and nothing applied twice.
 */
export async function restartScenario(service: ServiceName, seed: number): Promise<void> {
  const test = await faultTest(`${service}-restart`);
  const { messages, expected, scores, deadLetters } = await prepareStream(test, {
    events: 20_000,
    users: 500,
    seed,
    outOfOrderEvery: 41,
    lateEvery: 499,
    invalidEvery: 251,
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
    // Redis goes down while events keep arriving. A broker restart would take the test's own producer
    // down with it, so then the stream is all in Kafka before the fault, and the worker mid-way.
    const producing = produceAll(test.kafka, test.config.topics.input, messages, {
      ...(service === 'redis' ? { ratePerSecond: 800 } : {}),
    });
    if (service === 'kafka') await producing;
    await worker.waitForMetric(PUBLISHED, 4_000, 120_000);
    const { stoppedAt, backAt } = await restartService(faultStack(), service, 5_000);
    const atRestart = (await worker.metric(PUBLISHED)) ?? 0;
    const recoveredAt = await worker.waitForMetric(PUBLISHED, atRestart, 180_000);
    await producing;
    const figures = await verify(test, expected, {
      scores,
      deadLetters,
      sent: messages.length,
      recoverySeconds: (recoveredAt - backAt) / 1000,
      note: `${service} stopped for ${((backAt - stoppedAt) / 1000).toFixed(1)} s (stop, 5 s down, start)`,
    });
    const max = sampler.stop();
    const rssMiB = Math.round((max.get('process_resident_memory_bytes') ?? 0) / 2 ** 20);
    console.log(
      `${service} restart: ${figures.recoverySeconds} s to the next score once back; retries ${max.get('seqscore_batch_retries_total')}, ` +
        `paused partitions at most ${max.get('seqscore_consumer_paused_partitions')}, ` +
        `buffered messages at most ${max.get('seqscore_consumer_buffered_messages')}, worker RSS at most ${rssMiB} MiB`,
    );
    // The worker rode the outage out instead of dying, and nothing it logged carries event data.
    expect(await Promise.race([worker.exited.then(() => 'exited'), Promise.resolve('running')])).toBe(
      'running',
    );
    expect(worker.log()).not.toContain(PAYLOAD_MARKER);
    if (service === 'redis') {
      expect(max.get('seqscore_batch_retries_total')).toBeGreaterThan(0);
      expect(max.get('seqscore_consumer_paused_partitions')).toBeGreaterThan(0);
    }
    // One fetch (1 MiB here) of messages of at least 100 bytes: never the whole backlog.
    expect(max.get('seqscore_consumer_buffered_messages')).toBeLessThanOrEqual((1024 * 1024) / 100);
    worker.signal('SIGTERM');
    expect((await worker.exited).code).toBe(0);
  } finally {
    await cleanUp(test, scores, deadLetters);
  }
}
