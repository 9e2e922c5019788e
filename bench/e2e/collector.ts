import { randomUUID } from 'node:crypto';
import type { Consumer, Kafka } from 'kafkajs';
import { throughputFromTimes } from './stats.js';

const EVENT_ID_PREFIX = '{"eventId":"';

/**
 * The eventId of an output message. Every output of the benchmark (the input itself, or a score
 * message) starts with it today, and reading it from the first bytes keeps this process's share
 * of the two CPUs small; anything else is parsed in full.
 */
export function outputEventId(value: Buffer | null): string | undefined {
  if (value === null) return undefined;
  const head = value.toString('utf8', 0, Math.min(value.length, 200));
  if (head.startsWith(EVENT_ID_PREFIX)) {
    const end = head.indexOf('"', EVENT_ID_PREFIX.length);
    if (end > 0) return head.slice(EVENT_ID_PREFIX.length, end);
  }
  try {
    const eventId = (JSON.parse(value.toString('utf8')) as { eventId?: unknown }).eventId;
    return typeof eventId === 'string' ? eventId : undefined;
  } catch {
    return undefined;
  }
}

export type OutputSink = (eventId: string, outMs: number) => void;

/**
 * Counts events scored and the span of their outputs' timestamps, for those that `measured`
 * selects. An event's second output is left out: after a rebalance, a thread replays what the
 * previous owner of its partitions had not committed, and counting those again had ended a
 * phase while some of its events were still unscored.
 */
export class ThroughputTracker {
  private readonly scored = new Set<string>();
  count = 0;
  firstMs = Number.POSITIVE_INFINITY;
  lastMs = Number.NEGATIVE_INFINITY;
  /** Outputs stamped with the first timestamp: a micro-batch finished before the span starts. */
  atFirst = 0;

  constructor(private readonly measured: (eventId: string) => boolean = () => true) {}

  /** Every event scored, measured or not: how far the worker has got. */
  get seen(): number {
    return this.scored.size;
  }

  readonly sink: OutputSink = (eventId, outMs) => {
    if (this.scored.has(eventId)) return;
    this.scored.add(eventId);
    if (!this.measured(eventId)) return;
    this.count++;
    if (outMs < this.firstMs) {
      this.firstMs = outMs;
      this.atFirst = 1;
    } else if (outMs === this.firstMs) this.atFirst++;
    if (outMs > this.lastMs) this.lastMs = outMs;
  };

  eventsPerSec(): number {
    return throughputFromTimes(this.count - this.atFirst, this.firstMs, this.lastMs);
  }
}

/** The first output timestamp of each event (a replayed event may be scored twice). */
export class LatencyTracker {
  readonly outputs = new Map<string, number>();

  readonly sink: OutputSink = (eventId, outMs) => {
    if (!this.outputs.has(eventId)) this.outputs.set(eventId, outMs);
  };
}

/** Reads the output topic of the worker under test from its start and hands each message to a sink. */
export class OutputCollector {
  private readonly sinks = new Set<OutputSink>();
  unreadable = 0;

  private constructor(private readonly consumer: Consumer) {}

  static async start(kafka: Kafka, topic: string): Promise<OutputCollector> {
    const consumer = kafka.consumer({
      groupId: `bench-collector-${randomUUID().slice(0, 8)}`,
      maxBytes: 8 * 1024 * 1024,
    });
    const collector = new OutputCollector(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) {
          const eventId = outputEventId(message.value);
          if (eventId === undefined) collector.unreadable++;
          else for (const sink of collector.sinks) sink(eventId, Number(message.timestamp));
        }
      },
    });
    return collector;
  }

  /** Hands every output from now on to `sink` too, until the returned function is called. */
  watch(sink: OutputSink): () => void {
    this.sinks.add(sink);
    return () => this.sinks.delete(sink);
  }

  stop(): Promise<void> {
    return this.consumer.disconnect();
  }
}
