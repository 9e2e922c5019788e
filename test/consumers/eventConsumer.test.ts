import type { EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { EventConsumer, type EventConsumerOptions, retryDelayMs } from '../../src/consumers/eventConsumer.js';
import { createLogger } from '../../src/logger.js';

/** Captures the eachBatch callback that EventConsumer hands to kafkajs, so it can be driven directly. */
function harness(
  handler: (messages: KafkaMessage[]) => Promise<void>,
  options: Partial<EventConsumerOptions> = {},
) {
  let eachBatch: ((payload: EachBatchPayload) => Promise<void>) | undefined;
  const fakeConsumer = {
    events: { GROUP_JOIN: 'j', CRASH: 'c', STOP: 's', END_BATCH_PROCESS: 'e' },
    on: () => undefined,
    connect: async () => undefined,
    subscribe: async () => undefined,
    run: async (config: { eachBatch: typeof eachBatch }) => {
      eachBatch = config.eachBatch;
    },
  };
  const kafka = { consumer: () => fakeConsumer } as unknown as Kafka;
  const events: string[] = [];
  const consumer = new EventConsumer(
    kafka,
    {
      topic: 't',
      groupId: 'g',
      sessionTimeoutMs: 10_000,
      heartbeatIntervalMs: 1_000,
      maxBatch: 2,
      fetchMaxBytes: 1024 * 1024,
      retryBackoffMaxMs: 5,
      onRetry: (_error, attempt) => events.push(`retry ${attempt}`),
      onPause: (paused) => events.push(paused ? 'paused' : 'resumed'),
      onFatal: () => undefined,
      ...options,
    },
    async (messages) => handler(messages),
    createLogger('silent'),
  );
  const run = async (offsets: number[], running: () => boolean = () => true) => {
    await consumer.start();
    const payload = {
      batch: {
        topic: 't',
        partition: 0,
        messages: offsets.map((offset) => ({ offset: String(offset) }) as KafkaMessage),
      },
      resolveOffset: (offset: string) => events.push(`resolve ${offset}`),
      commitOffsetsIfNecessary: async () => undefined,
      heartbeat: async () => undefined,
      pause: () => {
        events.push('pause');
        return () => events.push('resume');
      },
      isRunning: running,
      isStale: () => false,
    } as unknown as EachBatchPayload;
    await (eachBatch as NonNullable<typeof eachBatch>)(payload);
  };
  return { run, events };
}

describe('EventConsumer', () => {
  it('resolves each micro-batch only after its handler succeeded', async () => {
    const seen: string[][] = [];
    const { run, events } = harness(async (messages) => void seen.push(messages.map((m) => m.offset)));
    await run([0, 1, 2]);
    expect(seen).toEqual([['0', '1'], ['2']]);
    expect(events).toEqual(['resolve 1', 'resolve 2']);
  });

  it('retries a failing micro-batch in place with its partition paused, then resumes', async () => {
    let failures = 2;
    const { run, events } = harness(async () => {
      if (failures-- > 0) throw new Error('redis down');
    });
    await run([0]);
    expect(events).toEqual(['pause', 'paused', 'retry 1', 'retry 2', 'resume', 'resumed', 'resolve 0']);
  });

  it('gives up without resolving when the consumer is stopping', async () => {
    let running = true;
    const { run, events } = harness(async () => {
      running = false;
      throw new Error('redis down');
    });
    await expect(run([0], () => running)).rejects.toThrow('redis down');
    expect(events.filter((event) => event.startsWith('resolve'))).toEqual([]);
  });
});

describe('retryDelayMs', () => {
  it('grows exponentially up to the cap, with jitter in the upper half', () => {
    expect(retryDelayMs(1, 10_000, () => 0)).toBe(100);
    expect(retryDelayMs(1, 10_000, () => 1)).toBe(200);
    expect(retryDelayMs(4, 10_000, () => 1)).toBe(1_600);
    expect(retryDelayMs(20, 10_000, () => 1)).toBe(10_000);
    expect(retryDelayMs(20, 10_000, () => 0)).toBe(5_000);
  });
});
