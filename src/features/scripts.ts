import type { Redis } from 'ioredis';
import type { UserKeys } from './keys.js';
import { type ScriptLoader, scriptLoader } from './scriptLoader.js';

/**
 * The only caller of the Lua scripts: it orders each script's keys and arguments and turns its
 * replies into typed results, so callers never see raw Redis replies.
 */

export interface ScriptEvent {
  eventId: string;
  offset: string;
  tsMs: number;
  entry: string;
  /** What to store for the event if it turns out new (commit only). */
  outcome?: string;
}

export interface UserCall {
  keys: UserKeys;
  /** One user's events in input order, each eventId once. */
  events: readonly ScriptEvent[];
}

export interface StateLimits {
  windowSize: number;
  remembered: number;
  ttlMs: number;
  latenessMs: number;
}

export type PlannedResult =
  | { kind: 'new'; history: string[]; placed: boolean }
  | { kind: 'remembered'; outcome: string }
  | { kind: 'forgotten' }
  | { kind: 'late'; record: string };

export interface UserPlan {
  version: number;
  results: PlannedResult[];
}

export class RedisScriptError extends Error {
  override readonly name = 'RedisScriptError';
}

function unexpected(raw: unknown): RedisScriptError {
  return new RedisScriptError(
    `userEvents returned an unexpected reply: ${JSON.stringify(raw)?.slice(0, 120)}`,
  );
}

function toPlannedResult(raw: unknown): PlannedResult {
  if (!Array.isArray(raw)) throw unexpected(raw);
  const [status, payload, placed] = raw as [unknown, unknown, unknown];
  if (status === 1 && Array.isArray(payload)) {
    return { kind: 'new', history: payload as string[], placed: placed === 1 };
  }
  if (status === 2 && typeof payload === 'string') return { kind: 'remembered', outcome: payload };
  if (status === 3) return { kind: 'forgotten' };
  if (status === 4 && typeof payload === 'string') return { kind: 'late', record: payload };
  throw unexpected(raw);
}

function toUserPlan(raw: unknown, expected: number): UserPlan {
  if (!Array.isArray(raw) || typeof raw[0] !== 'number' || !Array.isArray(raw[1])) throw unexpected(raw);
  const results = (raw[1] as unknown[]).map(toPlannedResult);
  if (results.length !== expected) throw unexpected(raw);
  return { version: raw[0], results };
}

export class Scripts {
  constructor(
    private readonly client: Redis,
    private readonly loader: ScriptLoader = scriptLoader,
  ) {}

  /** Works out, without writing, what each user's events would do: one round trip for all users. */
  async plan(calls: readonly UserCall[], limits: StateLimits, source: string): Promise<UserPlan[]> {
    const replies = await this.run(
      calls.map((call) => ({ ...call, version: '' })),
      'plan',
      limits,
      source,
    );
    return replies.map((raw, i) => toUserPlan(raw, calls[i]?.events.length ?? 0));
  }

  /**
   * Applies each user's events with the outcomes to store, if that user's state is still at the
   * planned version; false for a user whose state has changed in between (plan that user again).
   */
  async commit(
    calls: readonly (UserCall & { version: number })[],
    limits: StateLimits,
    source: string,
  ): Promise<boolean[]> {
    const replies = await this.run(
      calls.map((call) => ({ ...call, version: String(call.version) })),
      'commit',
      limits,
      source,
    );
    return replies.map((raw) => {
      if (raw !== 0 && raw !== 1) throw unexpected(raw);
      return raw === 1;
    });
  }

  private async run(
    calls: readonly (UserCall & { version: string })[],
    mode: 'plan' | 'commit',
    limits: StateLimits,
    source: string,
  ): Promise<unknown[]> {
    if (calls.length === 0) return [];
    const pipeline = this.loader.pipeline(this.client);
    const userEvents = this.loader.queued(pipeline, 'userEvents');
    for (const call of calls) {
      const args: (string | number)[] = [
        call.keys.window,
        call.keys.seen,
        call.keys.outcomes,
        call.keys.meta,
        mode,
        call.version,
        limits.windowSize,
        limits.remembered,
        limits.ttlMs,
        limits.latenessMs,
        source,
      ];
      for (const event of call.events) {
        args.push(event.eventId, event.offset, event.tsMs, event.entry, event.outcome ?? '');
      }
      userEvents(...args);
    }
    const results = await pipeline.exec();
    if (results === null) throw new RedisScriptError('the userEvents pipeline was discarded');
    return results.map(([error, raw]) => {
      if (error) throw new RedisScriptError(`userEvents (${mode}) failed: ${error.message}`);
      return raw;
    });
  }
}
