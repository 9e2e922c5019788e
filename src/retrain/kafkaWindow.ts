import type { Kafka } from 'kafkajs';
import type { EventRecord } from '../events/eventFiles.js';

/**
 * Reads a time window of the input topic for training: Kafka is the source of truth, Redis holds
 * only each user's last events. The window starts at the first offset of each partition whose record
 * time is at or after `fromMs` (found by timestamp) and ends at the high watermark read when the run
 * starts, so a run reads a fixed snapshot however much traffic arrives meanwhile. It uses a consumer
 * group of its own that commits nothing and is deleted afterwards, so the workers' offsets are never
 * touched.
 */

export interface KafkaWindow {
  records: EventRecord[];
  fromMs: number;
  toMs: number;
  /** Per partition, the offsets read: [from, to). */
  partitions: { partition: number; from: string; to: string }[];
}

export interface KafkaWindowOptions {
  topic: string;
  fromMs: number;
  groupId: string;
  /** Give up when the window has not been read by then (a broker that stopped answering). */
  timeoutMs?: number;
  now?: number;
}

export class KafkaWindowError extends Error {
  override readonly name = 'KafkaWindowError';
}

export async function readKafkaWindow(kafka: Kafka, options: KafkaWindowOptions): Promise<KafkaWindow> {
  const toMs = options.now ?? Date.now();
  const admin = kafka.admin();
  await admin.connect();
  let ranges: { partition: number; from: bigint; to: bigint }[];
  try {
    const ends = await admin.fetchTopicOffsets(options.topic);
    const starts = await admin.fetchTopicOffsetsByTimestamp(options.topic, options.fromMs);
    ranges = ends.map(({ partition, high, low }) => {
      const start = starts.find((entry) => entry.partition === partition)?.offset;
      const to = BigInt(high);
      // -1: no record at or after the time; the partition has nothing in the window.
      const from = start === undefined || start === '-1' ? to : BigInt(start);
      return { partition, from: from < BigInt(low) ? BigInt(low) : from, to };
    });
  } finally {
    await admin.disconnect();
  }
  const window: KafkaWindow = {
    records: [],
    fromMs: options.fromMs,
    toMs,
    partitions: ranges.map(({ partition, from, to }) => ({ partition, from: String(from), to: String(to) })),
  };
  const pending = new Map(ranges.filter((r) => r.from < r.to).map((r) => [r.partition, r]));
  if (pending.size === 0) return window;

  const consumer = kafka.consumer({ groupId: options.groupId, allowAutoTopicCreation: false });
  let finish: () => void = () => undefined;
  let fail: (error: Error) => void = () => undefined;
  const done = new Promise<void>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  const timer = setTimeout(
    () => fail(new KafkaWindowError(`reading ${options.topic} took longer than ${options.timeoutMs} ms`)),
    options.timeoutMs ?? 600_000,
  );
  try {
    await consumer.connect();
    await consumer.subscribe({ topic: options.topic });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const range = pending.get(batch.partition);
        // A batch that starts past the window was fetched from the log end before the seek landed.
        if (!range || batch.isEmpty() || BigInt(batch.firstOffset() ?? '0') >= range.to) return;
        for (const message of batch.messages) {
          const offset = BigInt(message.offset);
          if (offset < range.from) continue;
          if (offset >= range.to) break;
          window.records.push({
            key: message.key?.toString('utf8') ?? null,
            value: message.value?.toString('utf8') ?? '',
            line: window.records.length + 1,
          });
        }
        // Offsets can have gaps (compaction, transaction markers): the batch's end says how far it got.
        if (BigInt(batch.lastOffset()) + 1n >= range.to) pending.delete(batch.partition);
        if (pending.size === 0) finish();
      },
    });
    for (const { partition, from } of pending.values()) {
      consumer.seek({ topic: options.topic, partition, offset: String(from) });
    }
    await done;
  } finally {
    clearTimeout(timer);
    await consumer.disconnect();
    await deleteGroup(kafka, options.groupId);
  }
  return window;
}

async function deleteGroup(kafka: Kafka, groupId: string): Promise<void> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.deleteGroups([groupId]);
  } catch {
    // An empty group that outlives its run holds no offsets and expires with the broker's retention.
  } finally {
    await admin.disconnect();
  }
}
