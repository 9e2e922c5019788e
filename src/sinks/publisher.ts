import { type Kafka, type Message, Partitioners, type Producer, type TopicMessages } from 'kafkajs';
import { type DeadLetter, deadLetterHeaders } from './deadLetter.js';
import type { ProfileMessage } from './profileMessage.js';
import type { ScoreMessage } from './scoreMessage.js';

export interface PublishTopics {
  scores: string;
  deadLetters: string;
  /** Where profiles go; without it a batch's profiles are not sent. */
  profiles?: string;
}

export interface PublishBatch {
  scores: readonly ScoreMessage[];
  deadLetters: readonly DeadLetter[];
  /** Interest profiles of the users this batch scored (only when profiles are published). */
  profiles?: readonly ProfileMessage[];
  /** The input partitions the batch came from, each with the offset to commit once it is published. */
  inputs: readonly { topic: string; partition: number; nextOffset: string }[];
}

/** The batch as kafkajs topic messages: scores keyed by user, dead letters with their headers. */
export function toTopicMessages(batch: PublishBatch, topics: PublishTopics, nowMs: number): TopicMessages[] {
  const topicMessages: TopicMessages[] = [];
  if (batch.scores.length > 0) {
    topicMessages.push({
      topic: topics.scores,
      messages: batch.scores.map((score): Message => ({ key: score.userId, value: JSON.stringify(score) })),
    });
  }
  if (batch.deadLetters.length > 0) {
    topicMessages.push({
      topic: topics.deadLetters,
      messages: batch.deadLetters.map(
        (letter): Message => ({
          key: letter.key,
          value: letter.value,
          headers: deadLetterHeaders(letter, nowMs),
        }),
      ),
    });
  }
  if (topics.profiles && batch.profiles && batch.profiles.length > 0) {
    topicMessages.push({
      topic: topics.profiles,
      messages: batch.profiles.map(
        (profile): Message => ({ key: profile.userId, value: JSON.stringify(profile) }),
      ),
    });
  }
  return topicMessages;
}

/**
 * Kafka refuses a record batch above the broker's message.max.bytes (1 MiB by default), and kafkajs
 * puts all of one partition's messages of a request into one record batch. A micro-batch's scores
 * all go to one partition when input and output share the user key and the partition count, so a
 * large micro-batch (2,000 scores of about 600 bytes) would be refused on every retry. Requests are
 * therefore cut at this many bytes of keys, values and headers.
 */
export const MAX_REQUEST_BYTES = 512 * 1024;

function byteLength(data: Buffer | string | null | undefined): number {
  return typeof data === 'string' ? Buffer.byteLength(data) : (data?.length ?? 0);
}

function messageBytes(message: Message): number {
  let bytes = byteLength(message.key) + byteLength(message.value);
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    bytes +=
      byteLength(name) +
      (Array.isArray(value) ? value.reduce((sum, part) => sum + byteLength(part), 0) : byteLength(value));
  }
  return bytes;
}

/** The topic messages in order, cut into requests of at most `maxBytes` each (one message may exceed it). */
export function produceRequests(
  topicMessages: readonly TopicMessages[],
  maxBytes: number,
): TopicMessages[][] {
  const requests: TopicMessages[][] = [];
  let request: TopicMessages[] = [];
  let bytes = 0;
  for (const { topic, messages } of topicMessages) {
    let current: TopicMessages | undefined;
    for (const message of messages) {
      const size = messageBytes(message);
      if (bytes > 0 && bytes + size > maxBytes) {
        requests.push(request);
        request = [];
        bytes = 0;
        current = undefined;
      }
      if (!current) {
        current = { topic, messages: [] };
        request.push(current);
      }
      current.messages.push(message);
      bytes += size;
    }
  }
  if (request.length > 0) requests.push(request);
  return requests;
}

/**
 * Broker answers after which an idempotent producer and the broker disagree on its sequence numbers
 * for good: kafkajs does not reset them, so every retry gets the same answer. Seen after a broker
 * restart (OUT_OF_ORDER_SEQUENCE_NUMBER on every attempt, the partition stuck until the test gave up).
 */
const LOST_PRODUCER_SESSION = new Set([
  'OUT_OF_ORDER_SEQUENCE_NUMBER',
  'DUPLICATE_SEQUENCE_NUMBER',
  'UNKNOWN_PRODUCER_ID',
  'INVALID_PRODUCER_EPOCH',
]);

/** The Kafka error type of `error` or of any error it wraps. */
function kafkaErrorType(error: unknown): string | undefined {
  for (let cause = error; cause instanceof Error; cause = cause.cause) {
    const { type } = cause as { type?: unknown };
    if (typeof type === 'string') return type;
  }
  return undefined;
}

/**
 * Sends a micro-batch's scores, dead letters (and profiles), in one request unless too large, and resolves only when every
 * in-sync replica has them (acks=-1): the caller commits input offsets after that, never before.
 * The producer is idempotent, so its own retries cannot write a message twice. If the broker no
 * longer accepts its sequence numbers, the publish fails and the producer is replaced by a new one
 * (a new producer id), so the caller's retry can succeed; a request the broker had written before
 * that may then be written again, with the same content: at-least-once, as after any crash.
 */
export class Publisher {
  private producer: Producer;
  private connected = false;

  constructor(
    private readonly kafka: Kafka,
    private readonly topics: PublishTopics,
    private readonly clock: () => number = Date.now,
  ) {
    this.producer = this.createProducer();
  }

  async connect(): Promise<void> {
    await this.producer.connect();
    this.connected = true;
  }

  disconnect(): Promise<void> {
    this.connected = false;
    return this.producer.disconnect();
  }

  async publish(batch: PublishBatch): Promise<void> {
    if (!this.connected) await this.connect();
    const topicMessages = toTopicMessages(batch, this.topics, this.clock());
    for (const request of produceRequests(topicMessages, MAX_REQUEST_BYTES)) {
      try {
        await this.producer.sendBatch({ topicMessages: request, acks: -1 });
      } catch (error) {
        if (LOST_PRODUCER_SESSION.has(kafkaErrorType(error) ?? '')) await this.replaceProducer();
        throw error;
      }
    }
  }

  private createProducer(): Producer {
    return this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      // An idempotent producer must keep retrying (kafkajs warns otherwise); a batch that cannot be
      // acknowledged blocks here rather than being skipped, so no score is lost to a broker restart.
      retry: { retries: Number.MAX_SAFE_INTEGER, maxRetryTime: 30_000 },
      createPartitioner: Partitioners.DefaultPartitioner,
    });
  }

  /** The next publish connects the new producer; the old one's session is of no further use. */
  private async replaceProducer(): Promise<void> {
    const lost = this.producer;
    this.producer = this.createProducer();
    this.connected = false;
    await lost.disconnect().catch(() => undefined);
  }
}
