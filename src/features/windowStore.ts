import type { Redis } from 'ioredis';
import type { UserEvent } from '../events/event.js';
import { allUserKeys, type UserKeys, userKeys } from './keys.js';
import { type ScriptEvent, Scripts, type StateLimits, type UserPlan } from './scripts.js';
import { decodeWindowEntry, encodeWindowEntry, toWindowEntry, type WindowEntry } from './windowEntry.js';

export interface WindowOptions {
  keyPrefix: string;
  size: number;
  dedupeIds: number;
  ttlMs: number;
  /** Events older than the user's newest by more than this are rejected as too late. */
  latenessMs: number;
  /** Called with the number of users whose state changed between plan and commit. */
  onConflict?: (users: number) => void;
}

export interface SourcedEvent {
  event: UserEvent;
  /** Input offset: a replayed message is recognised by it even once its eventId is forgotten. */
  offset: string;
}

/** Why an event was too late: older than the newest event by more than the bound, or than a full window. */
export interface Lateness {
  kind: 'lateness' | 'window';
  /** The newest event time (lateness), or the oldest event time in the full window (window). */
  referenceMs: number;
}

export type StateOutcome =
  /** Applied now; `outcome` is what the caller computed for it and is now stored with it. */
  | { status: 'applied'; outcome: string; placed: boolean }
  /** Applied before (a replay or a duplicate eventId); `outcome` is what was stored then. */
  | { status: 'remembered'; outcome: string }
  /** Not applied: too late to place in the window. `replayed` when this was decided before. */
  | { status: 'late'; lateness: Lateness; replayed: boolean }
  /** Applied before, but so long ago that its eventId and outcome are forgotten. */
  | { status: 'forgotten' };

export interface NewEvent {
  event: UserEvent;
  /** The event's history: the window up to and including it, oldest first. */
  history: WindowEntry[];
}

/** Computes what to store with each new event (its score), from its history. */
export type OutcomeFn = (events: readonly NewEvent[]) => string[] | Promise<string[]>;

export class StateConflictError extends Error {
  override readonly name = 'StateConflictError';
}

/** How often a user whose state keeps changing under us is planned again before the batch fails. */
const MAX_ATTEMPTS = 5;
const LATE_RECORD = /^late:(lateness|window):(\d+)$/;

function parseLate(record: string): Lateness | undefined {
  const match = LATE_RECORD.exec(record);
  return match ? { kind: match[1] as Lateness['kind'], referenceMs: Number(match[2]) } : undefined;
}

interface UserGroup {
  keys: UserKeys;
  /** Indexes into the caller's events of this user's first occurrences of each eventId. */
  indexes: number[];
  events: ScriptEvent[];
}

/**
 * Each user's rolling window of recent events, with the outcomes of the events it remembers, kept
 * in Redis. Each user's events of a batch are planned, then committed atomically together with the
 * outcomes computed from the plan; see lua/userEvents-4.lua.
 */
export class WindowStore {
  private readonly scripts: Scripts;
  private readonly limits: StateLimits;

  constructor(
    private readonly client: Redis,
    private readonly options: WindowOptions,
  ) {
    this.scripts = new Scripts(client);
    this.limits = {
      windowSize: options.size,
      remembered: options.dedupeIds,
      ttlMs: options.ttlMs,
      latenessMs: options.latenessMs,
    };
  }

  /**
   * Applies events from one topic partition (`source`), in order. Events of one user go to Redis
   * as one call; `decide` is asked for the outcome of every new event before anything is written.
   */
  async apply(events: readonly SourcedEvent[], source: string, decide: OutcomeFn): Promise<StateOutcome[]> {
    const outcomes: (StateOutcome | undefined)[] = new Array(events.length);
    const { groups, repeats } = this.group(events);
    let pending = groups;
    for (let attempt = 1; pending.length > 0; attempt++) {
      if (attempt > MAX_ATTEMPTS) {
        throw new StateConflictError(
          `the state of ${pending.length} users kept changing during ${MAX_ATTEMPTS} attempts to apply a batch`,
        );
      }
      const plans = await this.scripts.plan(pending, this.limits, source);
      const scored = await this.decideNew(events, pending, plans, decide);
      const committed = await this.scripts.commit(
        pending.map((group, g) => ({
          keys: group.keys,
          version: (plans[g] as UserPlan).version,
          events: group.events.map((event, e) => ({ ...event, outcome: scored.get(`${g}/${e}`) ?? '' })),
        })),
        this.limits,
        source,
      );
      const conflicted: UserGroup[] = [];
      pending.forEach((group, g) => {
        if (!committed[g]) {
          conflicted.push(group);
          return;
        }
        (plans[g] as UserPlan).results.forEach((result, e) => {
          const index = group.indexes[e] as number;
          if (result.kind === 'new') {
            outcomes[index] = {
              status: 'applied',
              outcome: scored.get(`${g}/${e}`) ?? '',
              placed: result.placed,
            };
          } else if (result.kind === 'late') {
            outcomes[index] = this.late(result.record, false);
          } else if (result.kind === 'remembered') {
            outcomes[index] = result.outcome.startsWith('late:')
              ? this.late(result.outcome, true)
              : { status: 'remembered', outcome: result.outcome };
          } else {
            outcomes[index] = { status: 'forgotten' };
          }
        });
      });
      if (conflicted.length > 0) this.options.onConflict?.(conflicted.length);
      pending = conflicted;
    }
    for (const [index, first] of repeats) outcomes[index] = asRepeat(outcomes[first] as StateOutcome);
    return outcomes as StateOutcome[];
  }

  /** The user's current window, oldest first. */
  async read(userId: string): Promise<WindowEntry[]> {
    const entries = await this.client.lrange(userKeys(this.options.keyPrefix, userId).window, 0, -1);
    return entries.map(decodeWindowEntry);
  }

  /** Deletes everything stored about the user; returns how many keys existed. */
  erase(userId: string): Promise<number> {
    return this.client.del(...allUserKeys(userKeys(this.options.keyPrefix, userId)));
  }

  private group(events: readonly SourcedEvent[]): { groups: UserGroup[]; repeats: Map<number, number> } {
    const byUser = new Map<string, UserGroup & { firstIndex: Map<string, number> }>();
    const repeats = new Map<number, number>();
    events.forEach(({ event, offset }, index) => {
      let group = byUser.get(event.userId);
      if (!group) {
        group = {
          keys: userKeys(this.options.keyPrefix, event.userId),
          indexes: [],
          events: [],
          firstIndex: new Map(),
        };
        byUser.set(event.userId, group);
      }
      // The script sees each eventId once per call; a repeat within the batch shares the first's outcome.
      const first = group.firstIndex.get(event.eventId);
      if (first !== undefined) {
        repeats.set(index, first);
        return;
      }
      group.firstIndex.set(event.eventId, index);
      group.indexes.push(index);
      group.events.push({
        eventId: event.eventId,
        offset,
        tsMs: event.tsMs,
        entry: encodeWindowEntry(toWindowEntry(event)),
      });
    });
    return { groups: [...byUser.values()], repeats };
  }

  private async decideNew(
    events: readonly SourcedEvent[],
    groups: readonly UserGroup[],
    plans: readonly UserPlan[],
    decide: OutcomeFn,
  ): Promise<Map<string, string>> {
    const positions: string[] = [];
    const fresh: NewEvent[] = [];
    plans.forEach((plan, g) => {
      plan.results.forEach((result, e) => {
        if (result.kind !== 'new') return;
        const index = (groups[g] as UserGroup).indexes[e] as number;
        positions.push(`${g}/${e}`);
        fresh.push({
          event: (events[index] as SourcedEvent).event,
          history: result.history.map(decodeWindowEntry),
        });
      });
    });
    const decided = fresh.length > 0 ? await decide(fresh) : [];
    if (decided.length !== fresh.length) {
      throw new Error(`expected ${fresh.length} outcomes for new events, got ${decided.length}`);
    }
    return new Map(positions.map((position, i) => [position, decided[i] as string]));
  }

  private late(record: string, replayed: boolean): StateOutcome {
    const lateness = parseLate(record);
    if (!lateness) throw new Error(`malformed lateness record: ${record.slice(0, 40)}`);
    return { status: 'late', lateness, replayed };
  }
}

function asRepeat(first: StateOutcome): StateOutcome {
  if (first.status === 'applied') return { status: 'remembered', outcome: first.outcome };
  if (first.status === 'late') return { ...first, replayed: true };
  return first;
}
