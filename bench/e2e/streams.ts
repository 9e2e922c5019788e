import { toMessage, type UserEvent } from '../../src/events/event.js';
import { readEventRecords } from '../../src/events/eventFiles.js';
import { syntheticEvents } from '../../src/events/synthetic.js';
import type { BenchMessage } from './kafkaLoad.js';

/**
 * The next `count` events of a stream as input messages, each due at `rate` per second from the
 * first. The stream is advanced, not closed: the throughput backlog is the head of one synthetic
 * stream and the paced run goes on from there, so every user's events stay in time order.
 */
export function* syntheticMessages(
  events: Iterator<UserEvent>,
  count: number,
  rate = Number.POSITIVE_INFINITY,
): Generator<BenchMessage> {
  for (let n = 0; n < count; n++) {
    const next = events.next();
    if (next.done) return;
    yield {
      eventId: next.value.eventId,
      key: next.value.userId,
      value: JSON.stringify(toMessage(next.value)),
      dueMs: (n * 1000) / rate,
    };
  }
}

export interface FullWindowStream {
  messages: BenchMessage[];
  users: number;
  /** Events whose user had at least `fullAfter` earlier events: the ones measured. */
  measured: Set<string>;
}

/**
 * Users of equal activity, 2 x `fullAfter` events each on average, in one shuffled order: the
 * first half fills every window up to `fullAfter` events and the second half is measured, so the
 * runs at different window sizes see the same events and differ only in what each one costs.
 */
export function fullWindowStream(users: number, fullAfter: number, seed: number): FullWindowStream {
  const perUser = new Map<string, number>();
  const measured = new Set<string>();
  const messages: BenchMessage[] = [];
  const events = syntheticEvents({ users, userSkew: 0, events: 2 * fullAfter * users, seed });
  for (const event of events) {
    const userId = `full-${event.userId}`;
    const before = perUser.get(userId) ?? 0;
    perUser.set(userId, before + 1);
    if (before >= fullAfter) measured.add(event.eventId);
    messages.push({
      eventId: event.eventId,
      key: userId,
      value: JSON.stringify(toMessage({ ...event, userId })),
      dueMs: 0,
    });
  }
  return { messages, users: perUser.size, measured };
}

export interface TaobaoSlice {
  /** Each event due at its recorded time since the first event (divide by the speed-up). */
  messages: BenchMessage[];
  /** Rows that are not events (they would only reach the dead-letter topic). */
  skipped: number;
  /** Seconds between the first and the last event, as recorded. */
  recordedSeconds: number;
}

export async function readTaobaoSlice(file: string): Promise<TaobaoSlice> {
  const messages: BenchMessage[] = [];
  let skipped = 0;
  let firstMs: number | undefined;
  let lastMs = 0;
  for await (const record of readEventRecords(file, 'taobao')) {
    if (record.key === null) {
      skipped++;
      continue;
    }
    const { eventId, ts } = JSON.parse(record.value) as { eventId: string; ts: number };
    firstMs ??= ts;
    lastMs = Math.max(lastMs, ts);
    messages.push({ eventId, key: record.key, value: record.value, dueMs: Math.max(0, ts - firstMs) });
  }
  if (firstMs === undefined) throw new Error(`${file} holds no events`);
  return { messages, skipped, recordedSeconds: (lastMs - firstMs) / 1000 };
}

/** The slice at `speedup` times its recorded speed. */
export function* atSpeed(slice: TaobaoSlice, speedup: number): Generator<BenchMessage> {
  for (const message of slice.messages) yield { ...message, dueMs: message.dueMs / speedup };
}
