import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { UserEventMessage } from './event.js';

/**
 * Reads event files as the records a producer would send. A line that cannot be converted is still
 * yielded (as its raw text), so that replaying a file sends it to the dead-letter topic instead of
 * dropping it here.
 */
export const EVENT_FILE_FORMATS = ['taobao', 'ndjson'] as const;
export type EventFileFormat = (typeof EVENT_FILE_FORMATS)[number];

export interface EventRecord {
  /** Kafka key: the userId where it can be read, else null. */
  key: string | null;
  value: string;
  line: number;
}

/**
 * One Taobao UserBehavior CSV row (user,item,category,behavior,epoch seconds) as an event message.
 * The eventId is derived from the row's content, so the same row always gets the same id.
 */
export function taobaoRowToMessage(row: string): UserEventMessage | undefined {
  const fields = row.split(',');
  if (fields.length !== 5 || fields.some((field) => field.trim() === '')) return undefined;
  const [userId, itemId, categoryId, behavior, seconds] = fields.map((field) => field.trim()) as [
    string,
    string,
    string,
    string,
    string,
  ];
  if (!/^\d+$/.test(seconds)) return undefined;
  return {
    eventId: `tb-${userId}-${itemId}-${behavior}-${seconds}`,
    userId,
    itemId,
    categoryId,
    action: behavior,
    ts: Number(seconds) * 1000,
  };
}

function ndjsonKey(line: string): string | null {
  try {
    const userId = (JSON.parse(line) as { userId?: unknown }).userId;
    return typeof userId === 'string' || typeof userId === 'number' ? String(userId) : null;
  } catch {
    return null;
  }
}

export async function* readEventRecords(file: string, format: EventFileFormat): AsyncGenerator<EventRecord> {
  const lines = createInterface({
    input: createReadStream(file, 'utf8'),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  let line = 0;
  for await (const text of lines) {
    line++;
    if (text.trim() === '') continue;
    if (format === 'ndjson') {
      yield { key: ndjsonKey(text), value: text, line };
      continue;
    }
    const message = taobaoRowToMessage(text);
    yield message
      ? { key: String(message.userId), value: JSON.stringify(message), line }
      : { key: null, value: text, line };
  }
}
