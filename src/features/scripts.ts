import type { Redis } from 'ioredis';
import { type ScriptLoader, scriptLoader } from './scriptLoader.js';
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

/** The outcomes of a committed state to drop: see lua/dropOutcomes-1.lua. */
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

export class Scripts {
  constructor(
    private readonly client: Redis,
    private readonly loader: ScriptLoader = scriptLoader,
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
    if (writes.length === 0) return [];
    const pipeline = this.loader.pipeline(this.client);
    const commit = this.loader.queuedBuffer(pipeline, 'commitUserState');
    for (const write of writes) commit(write.key, write.expected, write.state, ttlMs);
    return this.exec(pipeline, 'commitUserState', (raw): WriteResult => {
      if (raw === 1) return { written: true };
      if (raw === null || Buffer.isBuffer(raw)) return { written: false, current: raw };
      throw this.unexpected('commitUserState', raw);
    });
  }

  /** Drops many users' published outcomes: one round trip; true where dropped. */
  async dropOutcomes(drops: readonly OutcomesDrop[], ttlMs: number): Promise<boolean[]> {
    if (drops.length === 0) return [];
    const pipeline = this.loader.pipeline(this.client);
    const drop = this.loader.queuedBuffer(pipeline, 'dropOutcomes');
    for (const { key, committed, span } of drops) {
      drop(key, versionOf(committed), committed.length, span.start, span.end, ttlMs);
    }
    return this.exec(pipeline, 'dropOutcomes', (raw) => {
      if (raw !== 0 && raw !== 1) throw this.unexpected('dropOutcomes', raw);
      return raw === 1;
    });
  }

  private async exec<T>(
    pipeline: ReturnType<Redis['pipeline']>,
    what: string,
    parse: (raw: unknown) => T,
  ): Promise<T[]> {
    const results = await pipeline.exec();
    if (results === null) throw new RedisScriptError(`the ${what} pipeline was discarded`);
    return results.map(([error, raw]) => {
      if (error) throw new RedisScriptError(`${what} failed: ${error.message}`);
      return parse(raw);
    });
  }

  private unexpected(what: string, raw: unknown): RedisScriptError {
    return new RedisScriptError(`${what} returned an unexpected reply: ${String(raw).slice(0, 120)}`);
  }
}
