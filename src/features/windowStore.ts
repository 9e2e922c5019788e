import type { Redis } from 'ioredis';
import type { UserEvent } from '../events/event.js';
import { userKeys } from './keys.js';
import { type AppendStatus, Scripts } from './scripts.js';
import { decodeWindowEntry, encodeWindowEntry, toWindowEntry, type WindowEntry } from './windowEntry.js';

export interface WindowOptions {
  keyPrefix: string;
  size: number;
  dedupeIds: number;
  ttlMs: number;
}

export interface AppendOutcome {
  status: AppendStatus;
  /** The user's history up to and including this event, oldest first; empty for duplicate_expired. */
  window: WindowEntry[];
}

/** Each user's rolling window of recent events, kept in Redis and appended atomically. */
export class WindowStore {
  private readonly scripts: Scripts;

  constructor(
    private readonly client: Redis,
    private readonly options: WindowOptions,
  ) {
    this.scripts = new Scripts(client);
  }

  async append(events: readonly UserEvent[]): Promise<AppendOutcome[]> {
    const replies = await this.scripts.appendEvents(
      events.map((event) => ({
        keys: userKeys(this.options.keyPrefix, event.userId),
        eventId: event.eventId,
        entry: encodeWindowEntry(toWindowEntry(event)),
      })),
      { windowSize: this.options.size, seenCapacity: this.options.dedupeIds, ttlMs: this.options.ttlMs },
    );
    return replies.map((reply) => ({ status: reply.status, window: reply.entries.map(decodeWindowEntry) }));
  }

  async read(userId: string): Promise<WindowEntry[]> {
    const entries = await this.client.lrange(userKeys(this.options.keyPrefix, userId).window, 0, -1);
    return entries.map(decodeWindowEntry);
  }
}
