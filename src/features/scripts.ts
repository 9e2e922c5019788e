import type { Redis } from 'ioredis';
import type { UserKeys } from './keys.js';
import { type ScriptLoader, scriptLoader } from './scriptLoader.js';

/**
 * The only caller of the Lua scripts: it orders each script's keys and arguments and turns its
 * status codes into typed results, so callers never see raw Redis replies.
 */

export const APPEND_STATUS = { 1: 'appended', 0: 'duplicate', [-1]: 'duplicate_expired' } as const;
export type AppendStatus = (typeof APPEND_STATUS)[keyof typeof APPEND_STATUS];

export interface AppendRequest {
  keys: UserKeys;
  eventId: string;
  entry: string;
}

export interface AppendLimits {
  windowSize: number;
  seenCapacity: number;
  ttlMs: number;
}

export interface AppendReply {
  status: AppendStatus;
  entries: string[];
}

export class RedisScriptError extends Error {
  override readonly name = 'RedisScriptError';
}

function toAppendReply(raw: unknown): AppendReply {
  if (!Array.isArray(raw) || raw.length !== 2 || !Array.isArray(raw[1])) {
    throw new RedisScriptError(
      `appendEvent returned an unexpected reply: ${JSON.stringify(raw)?.slice(0, 120)}`,
    );
  }
  const status = APPEND_STATUS[raw[0] as keyof typeof APPEND_STATUS];
  if (status === undefined)
    throw new RedisScriptError(`appendEvent returned unknown status ${String(raw[0])}`);
  return { status, entries: raw[1] as string[] };
}

export class Scripts {
  constructor(
    private readonly client: Redis,
    private readonly loader: ScriptLoader = scriptLoader,
  ) {}

  /**
   * Appends many events in one round trip. Requests run in order, so a user with several events in
   * one batch gets each appended after the previous one, and each reply is that event's own window.
   */
  async appendEvents(requests: readonly AppendRequest[], limits: AppendLimits): Promise<AppendReply[]> {
    if (requests.length === 0) return [];
    const pipeline = this.loader.pipeline(this.client);
    const appendEvent = this.loader.queued(pipeline, 'appendEvent');
    for (const request of requests) {
      appendEvent(
        request.keys.window,
        request.keys.seen,
        request.eventId,
        request.entry,
        limits.windowSize,
        limits.seenCapacity,
        limits.ttlMs,
      );
    }
    const results = await pipeline.exec();
    if (results === null) throw new RedisScriptError('the appendEvent pipeline was discarded');
    return results.map(([error, raw]) => {
      if (error) throw new RedisScriptError(`appendEvent failed: ${error.message}`);
      return toAppendReply(raw);
    });
  }
}
