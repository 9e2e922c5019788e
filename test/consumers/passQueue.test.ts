import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { type MicroBatch, PassQueue } from '../../src/consumers/passQueue.js';

function microBatch(partition: number, size: number): MicroBatch {
  return {
    source: { topic: 't', partition },
    messages: Array.from({ length: size }, (_, i) => ({ offset: String(i) }) as KafkaMessage),
  };
}

/** A handler that records each pass (partitions and sizes) and waits for `release` before it resolves. */
function recordingHandler() {
  const passes: string[][] = [];
  let release = () => {};
  let fail: Error | undefined;
  const handler = async (batches: readonly MicroBatch[]) => {
    passes.push(batches.map(({ source, messages }) => `p${source.partition}x${messages.length}`));
    await new Promise<void>((resolve) => {
      release = resolve;
    });
    if (fail) throw fail;
  };
  return {
    passes,
    handler,
    release: () => release(),
    failWith: (error: Error | undefined) => {
      fail = error;
    },
  };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('PassQueue', () => {
  it('runs the micro-batches submitted in one turn as one pass, and those submitted during it as the next', async () => {
    const recorder = recordingHandler();
    const queue = new PassQueue(recorder.handler, { maxEvents: 100, maxBatches: 10 });
    const first = [queue.submit(microBatch(0, 3)), queue.submit(microBatch(1, 2))];
    await turn();
    expect(recorder.passes).toEqual([['p0x3', 'p1x2']]);
    const second = [queue.submit(microBatch(2, 1)), queue.submit(microBatch(3, 1))];
    await turn();
    // One pass at a time: the second waits for the first.
    expect(recorder.passes).toHaveLength(1);
    recorder.release();
    await Promise.all(first);
    await turn();
    expect(recorder.passes).toEqual([
      ['p0x3', 'p1x2'],
      ['p2x1', 'p3x1'],
    ]);
    recorder.release();
    await Promise.all(second);
  });

  it('keeps a pass within maxEvents and maxBatches, letting later micro-batches that fit go ahead', async () => {
    const recorder = recordingHandler();
    const queue = new PassQueue(recorder.handler, { maxEvents: 10, maxBatches: 2 });
    const done = [
      queue.submit(microBatch(0, 12)),
      queue.submit(microBatch(1, 6)),
      queue.submit(microBatch(2, 5)),
      queue.submit(microBatch(3, 3)),
      queue.submit(microBatch(4, 1)),
    ];
    for (let pass = 0; pass < 3; pass++) {
      await turn();
      recorder.release();
    }
    await Promise.all(done);
    // A micro-batch over maxEvents goes alone; p1 and p2 do not fit together, p1 and p3 do.
    expect(recorder.passes).toEqual([['p0x12'], ['p1x6', 'p3x3'], ['p2x5', 'p4x1']]);
  });

  it('rejects every micro-batch of a failed pass and goes on with the next', async () => {
    const recorder = recordingHandler();
    const queue = new PassQueue(recorder.handler, { maxEvents: 100, maxBatches: 10 });
    recorder.failWith(new Error('redis down'));
    const failed = [queue.submit(microBatch(0, 1)), queue.submit(microBatch(1, 1))];
    await turn();
    const later = queue.submit(microBatch(0, 1));
    recorder.release();
    await expect(Promise.all(failed)).rejects.toThrow('redis down');
    await expect(failed[1]).rejects.toThrow('redis down');
    recorder.failWith(undefined);
    await turn();
    recorder.release();
    await expect(later).resolves.toBeUndefined();
    expect(recorder.passes).toEqual([['p0x1', 'p1x1'], ['p0x1']]);
  });
});
