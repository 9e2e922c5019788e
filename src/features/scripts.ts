import type { Redis } from 'ioredis';
import { type ScriptArgument, type ScriptLoader, scriptLoader } from './scriptLoader.js';
import { type OutcomesSpan, versionOf } from './userState.js';

/**
 * The only caller of the Lua scripts: it orders each script's keys and arguments and turns its
 * replies into typed results, so callers never see raw Redis replies.
 */

export interface StateWrite {
  key: string;
  /** The version bytes of the state the write was decided on ('' for none). */
  expected: Buffer;
  state: Buffer;
}

/** The outcomes of a committed state to drop: see lua/dropOutcomes-n.lua. */
export interface OutcomesDrop {
  key: string;
  /** The state as the commit wrote it. */
  committed: Buffer;
  span: OutcomesSpan;
}

/** Written, or the user's current state (null: none) when it changed since it was read. */
export type WriteResult = { written: true } | { written: false; current: Buffer | null };

export class RedisScriptError extends Error {
  override readonly name = 'RedisScriptError';
}

/**
 * Users per script call. A call holds Redis for all of its users (about 4 µs each with the
 * append-only file on): a micro-batch of the default 500 is one call, and the drop queue's up to
 * 5,000 users are several, one pipeline all the same.
 */
const USERS_PER_CALL = 500;

export class Scripts {
  constructor(
    private readonly client: Redis,
    private readonly loader: ScriptLoader = scriptLoader,
    private readonly usersPerCall = USERS_PER_CALL,
  ) {}

  /** Reads many users' states: one round trip. */
  async read(keys: readonly string[]): Promise<(Buffer | null)[]> {
    if (keys.length === 0) return [];
    const pipeline = this.client.pipeline();
    for (const key of keys) pipeline.getBuffer(key);
    return this.exec(pipeline, 'read', (raw) => {
      if (raw !== null && !Buffer.isBuffer(raw)) throw this.unexpected('read', raw);
      return raw;
    });
  }

  /** Compare-and-set of many users' states: one round trip. */
  async write(writes: readonly StateWrite[], ttlMs: number): Promise<WriteResult[]> {
    return this.perUser(
      'commitUserStates',
      writes,
      (write) => [write.expected, write.state],
      ttlMs,
      (raw): WriteResult => {
        if (raw === 1) return { written: true };
        if (raw === null || Buffer.isBuffer(raw)) return { written: false, current: raw };
        throw this.unexpected('commitUserStates', raw);
      },
    );
  }

  /** Drops many users' published outcomes: one round trip; true where dropped. */
  async dropOutcomes(drops: readonly OutcomesDrop[], ttlMs: number): Promise<boolean[]> {
    return this.perUser(
      'dropOutcomes',
      drops,
      ({ committed, span }) => [versionOf(committed), committed.length, span.start, span.end],
      ttlMs,
      (raw) => {
        if (raw !== 0 && raw !== 1) throw this.unexpected('dropOutcomes', raw);
        return raw === 1;
      },
    );
  }

  /**
   * Runs a script that takes any number of users (its keys, then each user's arguments in the same
   * order, then the retention) in calls of at most usersPerCall users, all in one pipeline, and
   * parses its reply: one value per user, in order.
   */
  private async perUser<U extends { key: string }, T>(
    script: string,
    users: readonly U[],
    argumentsOf: (user: U) => ScriptArgument[],
    ttlMs: number,
    parse: (raw: unknown) => T,
  ): Promise<T[]> {
    if (users.length === 0) return [];
    const pipeline = this.loader.pipeline(this.client);
    const call = this.loader.queuedBuffer(pipeline, script);
    const sizes: number[] = [];
    for (let from = 0; from < users.length; from += this.usersPerCall) {
      const group = users.slice(from, from + this.usersPerCall);
      call(group.length, ...group.map((user) => user.key), ...group.flatMap(argumentsOf), ttlMs);
      sizes.push(group.length);
    }
    const replies = await this.exec(pipeline, script, (raw, i) => {
      if (!Array.isArray(raw) || raw.length !== sizes[i]) throw this.unexpected(script, raw);
      return raw as unknown[];
    });
    return replies.flat().map(parse);
  }

  private async exec<T>(
    pipeline: ReturnType<Redis['pipeline']>,
    what: string,
    parse: (raw: unknown, index: number) => T,
  ): Promise<T[]> {
    const results = await pipeline.exec();
    if (results === null) throw new RedisScriptError(`the ${what} pipeline was discarded`);
    return results.map(([error, raw], index) => {
      if (error) throw new RedisScriptError(`${what} failed: ${error.message}`);
      return parse(raw, index);
    });
  }

  private unexpected(what: string, raw: unknown): RedisScriptError {
    return new RedisScriptError(`${what} returned an unexpected reply: ${String(raw).slice(0, 120)}`);
  }
}
