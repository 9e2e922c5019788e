import { type Kafka, Partitioners } from 'kafkajs';
import type { EventRecord } from '../events/eventFiles.js';

export interface ReplayOptions {
  topic: string;
  /** Events per second; undefined sends as fast as the broker accepts. */
  rate?: number;
  limit?: number;
  chunkSize?: number;
  onProgress?: (sent: number) => void;
}

export interface ReplayResult {
  sent: number;
  seconds: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Produces records to the input topic, keyed by user so a user's events stay in order on one
 * partition. The rate is held by comparing the count sent with the count due so far, which keeps
 * the long-run rate exact even though each send takes a variable time.
 */
export async function replayRecords(
  kafka: Kafka,
  records: AsyncIterable<EventRecord>,
  options: ReplayOptions,
): Promise<ReplayResult> {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  const chunkSize = options.rate
    ? Math.max(1, Math.min(options.chunkSize ?? 500, Math.ceil(options.rate / 20)))
    : (options.chunkSize ?? 500);
  const startedAt = Date.now();
  let sent = 0;
  let chunk: EventRecord[] = [];
  const flush = async () => {
    if (chunk.length === 0) return;
    if (options.rate) {
      const dueAtMs = startedAt + ((sent + chunk.length) / options.rate) * 1000;
      const wait = dueAtMs - Date.now();
      if (wait > 0) await sleep(wait);
    }
    await producer.send({
      topic: options.topic,
      acks: -1,
      messages: chunk.map((record) => ({ key: record.key, value: record.value })),
    });
    sent += chunk.length;
    chunk = [];
    options.onProgress?.(sent);
  };
  try {
    for await (const record of records) {
      if (sent + chunk.length >= limit) break;
      chunk.push(record);
      if (chunk.length >= chunkSize) await flush();
    }
    await flush();
  } finally {
    await producer.disconnect();
  }
  return { sent, seconds: (Date.now() - startedAt) / 1000 };
}
