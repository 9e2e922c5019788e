import type { KafkaMessage } from 'kafkajs';

export interface MessageSource {
  topic: string;
  partition: number;
}

/** Consecutive messages of one partition. */
export interface MicroBatch {
  messages: KafkaMessage[];
  source: MessageSource;
}

/** The offset after a micro-batch's last message: what a consumer commits once it is processed. */
export function nextOffset({ messages }: MicroBatch): string {
  return (BigInt((messages[messages.length - 1] as KafkaMessage).offset) + 1n).toString();
}

/** Processes micro-batches of distinct partitions together; resolves once their effects are durable. */
export type PassHandler = (batches: readonly MicroBatch[]) => Promise<void>;

export interface PassLimits {
  /** Events in one pass; a micro-batch alone may hold more. */
  maxEvents: number;
  /** Micro-batches (partitions) in one pass. */
  maxBatches: number;
}

interface Waiting {
  batch: MicroBatch;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Runs the handler on the micro-batches of several partitions at once, one pass at a time. Each
 * pass pays the fixed costs (a Redis round trip, a model pass, a produce request) once, where
 * partitions taken one after another paid them once each, and an event waited for the partitions
 * ahead of its own. kafkajs hands every partition of a fetch to the consumer in the same turn of the
 * event loop: they join one pass, and micro-batches that arrive while a pass runs join the next.
 */
export class PassQueue {
  private readonly waiting: Waiting[] = [];
  private running = false;

  constructor(
    private readonly handler: PassHandler,
    private readonly limits: PassLimits,
  ) {}

  /** Resolves once the pass holding `batch` has succeeded; rejects with its error otherwise. */
  submit(batch: MicroBatch): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ batch, resolve, reject });
      // After the current turn, so that the rest of a fetch's partitions are in the queue too.
      if (!this.running && this.waiting.length === 1) setImmediate(() => void this.drain());
    });
  }

  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.waiting.length > 0) {
        const pass = this.nextPass();
        try {
          await this.handler(pass.map((waiting) => waiting.batch));
          for (const waiting of pass) waiting.resolve();
        } catch (error) {
          for (const waiting of pass) waiting.reject(error);
        }
      }
    } finally {
      this.running = false;
    }
  }

  /** The oldest waiting micro-batch, and those after it that fit the limits, in their order. */
  private nextPass(): Waiting[] {
    const pass = [this.waiting.shift() as Waiting];
    let events = (pass[0] as Waiting).batch.messages.length;
    for (let i = 0; i < this.waiting.length && pass.length < this.limits.maxBatches; ) {
      const candidate = this.waiting[i] as Waiting;
      if (events + candidate.batch.messages.length <= this.limits.maxEvents) {
        pass.push(candidate);
        events += candidate.batch.messages.length;
        this.waiting.splice(i, 1);
      } else {
        i++;
      }
    }
    return pass;
  }
}
