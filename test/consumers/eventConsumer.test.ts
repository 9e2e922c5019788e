import type { ConsumerConfig, EachBatchPayload, Kafka, KafkaMessage, Offsets } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { EventConsumer, type EventConsumerOptions, retryDelayMs } from '../../src/consumers/eventConsumer.js';
import type { MicroBatch } from '../../src/consumers/passQueue.js';
import { createLogger } from '../../src/logger.js';

/** Captures the eachBatch callback that EventConsumer hands to kafkajs, so it can be driven directly. */
function harness(
  handler: (batches: readonly MicroBatch[]) => Promise<void>,
  options: Partial<EventConsumerOptions> = {},
) {
  let eachBatch: ((payload: EachBatchPayload) => Promise<void>) | undefined;
  let consumerConfig: ConsumerConfig | undefined;
  const fakeConsumer = {
    events: { GROUP_JOIN: 'j', CRASH: 'c', STOP: 's', END_BATCH_PROCESS: 'e' },
    on: () => undefined,
    connect: async () => undefined,
    subscribe: async () => undefined,
    run: async (config: { eachBatch: typeof eachBatch }) => {
      eachBatch = config.eachBatch;
    },
  };
  const kafka = {
    consumer: (config: ConsumerConfig) => {
      consumerConfig = config;
      return fakeConsumer;
    },
  } as unknown as Kafka;
  const events: string[] = [];
  const consumer = new EventConsumer(
    kafka,
    {
      topic: 't',
      groupId: 'g',
      sessionTimeoutMs: 10_000,
      heartbeatIntervalMs: 1_000,
      maxBatch: 2,
      partitionsPerPass: 4,
      fetchMaxBytes: 1024 * 1024,
      retryBackoffMaxMs: 5,
      onRetry: (_error, attempt) => events.push(`retry ${attempt}`),
      onPause: (paused) => events.push(paused ? 'paused' : 'resumed'),
      onFatal: () => undefined,
      ...options,
    },
    handler,
    createLogger('silent'),
  );
  const payload = (partition: number, offsets: number[], running: () => boolean) =>
    ({
      batch: {
        topic: 't',
        partition,
        messages: offsets.map((offset) => ({ offset: String(offset) }) as KafkaMessage),
      },
      resolveOffset: (offset: string) =>
        events.push(`resolve ${partition === 0 ? '' : `${partition}:`}${offset}`),
      commitOffsetsIfNecessary: async (offsets: Offsets) => {
        const committed = offsets.topics.flatMap(({ partitions }) =>
          partitions.map(({ partition: committedPartition, offset }) => `${committedPartition}:${offset}`),
        );
        events.push(`commit ${committed.join(' ')}`);
      },
      heartbeat: async () => undefined,
      pause: () => {
        events.push('pause');
        return () => events.push('resume');
      },
      isRunning: running,
      isStale: () => false,
    }) as unknown as EachBatchPayload;
  const run = async (offsets: number[], running: () => boolean = () => true) => {
    await consumer.start();
    await (eachBatch as NonNullable<typeof eachBatch>)(payload(0, offsets, running));
  };
  /** As kafkajs hands over the partitions of one fetch: every eachBatch call in the same turn. */
  const runTogether = async (offsetsByPartition: number[][]) => {
    await consumer.start();
    const handle = eachBatch as NonNullable<typeof eachBatch>;
    await Promise.all(
      offsetsByPartition.map((offsets, partition) => handle(payload(partition, offsets, () => true))),
    );
  };
  return { run, runTogether, events, consumerConfig: () => consumerConfig as ConsumerConfig };
}

const offsetsOf = (batches: readonly MicroBatch[]) =>
  batches.map(({ source, messages }) => `${source.partition}:${messages.map((m) => m.offset).join(',')}`);

describe('EventConsumer', () => {
  it('resolves each micro-batch only after its handler succeeded', async () => {
    const seen: string[][] = [];
    const { run, events } = harness(async (batches) => void seen.push(offsetsOf(batches)));
    await run([0, 1, 2]);
    expect(seen).toEqual([['0:0,1'], ['0:2']]);
    expect(events).toEqual(['commit 0:2', 'resolve 1', 'commit 0:3', 'resolve 2']);
  });

  it('leaves the commits to a handler that commits offsets itself', async () => {
    const { run, events } = harness(async () => undefined, { handlerCommitsOffsets: true });
    await run([0, 1, 2]);
    expect(events).toEqual(['resolve 1', 'resolve 2']);
  });

  it('hands the micro-batches of the partitions of one fetch to the handler in one pass', async () => {
    const seen: string[][] = [];
    const { runTogether, events } = harness(async (batches) => void seen.push(offsetsOf(batches)), {
      maxBatch: 4,
    });
    await runTogether([[0, 1], [7], [3, 4, 5]]);
    // The third partition's micro-batch would take the first pass over maxBatch events.
    expect(seen).toEqual([['0:0,1', '1:7'], ['2:3,4,5']]);
    // One commit per pass, with the offsets of each of its partitions.
    expect(events.filter((event) => event.startsWith('commit'))).toEqual(['commit 0:2 1:8', 'commit 2:6']);
    expect(events.filter((event) => event.startsWith('resolve'))).toEqual([
      'resolve 1',
      'resolve 1:7',
      'resolve 2:5',
    ]);
  });

  it('lets the broker hold a fetch for a linger only when one is set', () => {
    const plain = harness(async () => undefined).consumerConfig();
    expect(plain.minBytes).toBeUndefined();
    expect(plain.maxWaitTimeInMs).toBeUndefined();
    const lingering = harness(async () => undefined, { fetchLingerMs: 10 }).consumerConfig();
    // Until a partition's most is there (the fetch limit here is 1 MiB), or for 10 ms.
    expect(lingering.minBytes).toBe(1024 * 1024);
    expect(lingering.maxWaitTimeInMs).toBe(10);
  });

  it('retries a failing micro-batch in place with its partition paused, then resumes', async () => {
    let failures = 2;
    const { run, events } = harness(async () => {
      if (failures-- > 0) throw new Error('redis down');
    });
    await run([0]);
    expect(events).toEqual([
      'pause',
      'paused',
      'retry 1',
      'retry 2',
      'commit 0:1',
      'resume',
      'resumed',
      'resolve 0',
    ]);
  });

  it('gives up without resolving when the consumer is stopping', async () => {
    let running = true;
    const { run, events } = harness(async () => {
      running = false;
      throw new Error('redis down');
    });
    await expect(run([0], () => running)).rejects.toThrow('redis down');
    expect(events.filter((event) => event.startsWith('resolve') || event.startsWith('commit'))).toEqual([]);
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
