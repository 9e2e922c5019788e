import { type Kafka, type Message, Partitioners, type Producer } from 'kafkajs';
import type { PacedSample } from './stats.js';

/** One input message of a benchmark stream; `dueMs` is when a paced run sends it, from its start. */
export interface BenchMessage {
  eventId: string;
  key: string;
  value: string;
  dueMs: number;
}

const MAX_REQUEST_MESSAGES = 2_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function withProducer<T>(kafka: Kafka, use: (producer: Producer) => Promise<T>): Promise<T> {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  try {
    return await use(producer);
  } finally {
    await producer.disconnect();
  }
}

/**
 * Writes a backlog before the worker under test starts, one request at a time: with several in
 * flight, a request retried on a fresh topic lands after later ones, and a user's events then
 * arrive out of order (measured: 632 of 20,000 events), which makes the worker rebuild states.
 */
export async function produceBacklog(
  kafka: Kafka,
  topic: string,
  messages: Iterable<BenchMessage>,
): Promise<number> {
  return withProducer(kafka, async (producer) => {
    let sent = 0;
    let chunk: Message[] = [];
    const flush = async () => {
      if (chunk.length === 0) return;
      await producer.send({ topic, acks: -1, messages: chunk });
      sent += chunk.length;
      chunk = [];
    };
    for (const message of messages) {
      chunk.push({ key: message.key, value: message.value });
      if (chunk.length >= MAX_REQUEST_MESSAGES) await flush();
    }
    await flush();
    return sent;
  });
}

/**
 * Sends each message when it is due (its `dueMs` after the start), in one request with whatever
 * else is due by then. Each message's timestamp is the moment it is handed to the producer: the
 * latency measured from it leaves out any lag of this generator, which is not the worker's.
 * src/replay holds only a constant rate and keeps no per-message send times, hence this loop.
 */
export async function producePaced(
  kafka: Kafka,
  topic: string,
  messages: Iterable<BenchMessage>,
  onSent: (eventId: string, sentMs: number) => void,
): Promise<{ sent: number; seconds: number }> {
  return withProducer(kafka, async (producer) => {
    const startedAt = Date.now();
    let sent = 0;
    let due: BenchMessage[] = [];
    const iterator = messages[Symbol.iterator]();
    let next = iterator.next();
    while (!next.done || due.length > 0) {
      const now = Date.now() - startedAt;
      // Bounded so that one request stays under the broker's message size limit when sending lags.
      while (!next.done && next.value.dueMs <= now && due.length < MAX_REQUEST_MESSAGES) {
        due.push(next.value);
        next = iterator.next();
      }
      if (due.length === 0) {
        await sleep(Math.max(1, (next.done ? now : next.value.dueMs) - now));
        continue;
      }
      const sentMs = Date.now();
      await producer.send({
        topic,
        acks: -1,
        messages: due.map((message) => ({
          key: message.key,
          value: message.value,
          timestamp: String(sentMs),
        })),
      });
      for (const message of due) onSent(message.eventId, sentMs);
      sent += due.length;
      due = [];
    }
    return { sent, seconds: (Date.now() - startedAt) / 1000 };
  });
}

/** The paced samples of a run, joined with the outputs the collector saw. */
export function pacedSamples(
  sent: ReadonlyMap<string, number>,
  outputs: ReadonlyMap<string, number>,
): PacedSample[] {
  return [...sent].map(([eventId, sentMs]) => ({ sentMs, outMs: outputs.get(eventId) }));
}
