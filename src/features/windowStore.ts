import type { Redis } from 'ioredis';
import type { Config } from '../config.js';
import { ActionVocabulary } from '../events/actionVocabulary.js';
import type { UserEvent } from '../events/event.js';
import type { HistorySteps } from './historySteps.js';
import { userStateKey } from './keys.js';
import { type OutcomesDrop, Scripts } from './scripts.js';
import type { FeatureVocabularies } from './sequenceEncoding.js';
import {
  applyEvents,
  decodeLateness,
  type IncomingEvent,
  type Lateness,
  type StateLimits,
  sourceHash,
  type Transition,
  withOutcomes,
} from './stateTransition.js';
import {
  decodeState,
  emptyState,
  encodeState,
  outcomesSpan,
  StateFormatError,
  type UserState,
  versionOf,
  withoutOutcomes,
} from './userState.js';
import { readEntries, type WindowEntry } from './windowEntry.js';

export type { Lateness } from './stateTransition.js';

export interface WindowOptions {
  keyPrefix: string;
  size: number;
  dedupeIds: number;
  ttlMs: number;
  /** Events older than the user's newest by more than this are rejected as too late. */
  latenessMs: number;
  actions: ActionVocabulary;
  /** Users whose state this process keeps a copy of, to skip the read; 0 reads every time. */
  cacheUsers: number;
  /** Called with the number of users whose state changed between read and write. */
  onConflict?: (users: number) => void;
  /** Called for a user whose stored state cannot be read; it starts again from nothing. */
  onCorrupt?: (userId: string, error: StateFormatError) => void;
  /** Called when dropping published outcomes fails; they stay until the user's next commit. */
  onDropFailure?: (error: unknown) => void;
}

/** The store's options as the configuration sets them. */
export function windowOptions(config: Config): WindowOptions {
  return {
    keyPrefix: config.redis.keyPrefix,
    size: config.window.size,
    dedupeIds: config.window.dedupeIds,
    ttlMs: config.window.ttlMs,
    latenessMs: config.window.latenessMs,
    actions: new ActionVocabulary(config.events.actions, config.events.aliases),
    cacheUsers: config.window.cacheUsers,
  };
}

export interface SourcedEvent {
  event: UserEvent;
  /** Input offset: a replayed message is recognised by it even once its eventId is forgotten. */
  offset: string;
  /** The input partition the offset belongs to, as `topic:partition`. */
  source: string;
}

export type StateOutcome =
  /** Applied now; `outcome` is what the caller computed for it and is now stored with it. */
  | { status: 'applied'; outcome: Buffer; placed: boolean }
  /** Applied in the user's last commit (a replay or a duplicate eventId): what was stored then. */
  | { status: 'remembered'; outcome: Buffer }
  /** Not applied: too late to place in the window. `replayed` when this was decided before. */
  | { status: 'late'; lateness: Lateness; replayed: boolean }
  /** Applied before, longer ago than its outcome is kept. */
  | { status: 'forgotten' };

export interface NewEvent {
  event: UserEvent;
  /** Inserted before newer events: it arrived out of order. */
  placed: boolean;
  /** The last `limit` window entries up to and including this event, oldest first. */
  history: (limit: number) => WindowEntry[];
  /** The same entries as steps, their ids looked up in the model's vocabularies. */
  steps: (limit: number, vocabularies: FeatureVocabularies) => HistorySteps;
}

/** One user's new events of a batch, in the order they were applied, with the stored model state. */
export interface PendingUser {
  userId: string;
  /** What the scorer stored last time (empty when nothing). */
  modelState: Buffer;
  events: NewEvent[];
}

export interface UserDecision {
  /** What to store with each new event (its score), in order. */
  outcomes: Buffer[];
  /** The model state to store; null keeps the stored one. */
  modelState: Buffer | null;
}

export type DecideFn = (users: readonly PendingUser[]) => UserDecision[] | Promise<UserDecision[]>;

export class StateConflictError extends Error {
  override readonly name = 'StateConflictError';
}

/** How often a user whose state keeps changing under us is decided again before the batch fails. */
const MAX_ATTEMPTS = 5;

/**
 * Published outcomes are dropped in Redis at most this long after they are published, or once
 * this many users wait for it. A user's next commit replaces them anyway, and users with full
 * windows often come back within that time: their drop is then never sent. Dropping after every
 * batch cost one script call per user, in which Redis copies the user's whole state.
 */
const DROP_DELAY_MS = 1_000;
const DROP_QUEUE_USERS = 5_000;

/** A user's published outcomes to drop, and whose copy to update once they are dropped. */
interface UserDrop extends OutcomesDrop {
  userId: string;
}

interface UserGroup {
  userId: string;
  key: string;
  /** Indexes into the caller's events of this user's first occurrences of each eventId. */
  indexes: number[];
  events: IncomingEvent[];
  /** The state as last read or cached; undefined until read. */
  stored?: Buffer | null;
}

/**
 * Each user's state (rolling window, recurrent model state, what recent events were answered with)
 * as one Redis string. A batch reads the states it has no copy of (one pipeline), decides every
 * user's change and scores in memory, then writes them all with a compare-and-set (one script call
 * for up to 500 users, lua/commitUserStates-n.lua). A user whose state changed in between (another
 * worker after a rebalance, a stale copy) is decided again from the state the failed write returned.
 */
export class WindowStore {
  private readonly scripts: Scripts;
  private readonly limits: StateLimits;
  /**
   * The states this process wrote last, by user id, least recently written first. Keyed by the id,
   * not the Redis key: the id's hash is already computed when the batch is grouped by user, and
   * building and hashing each key cost about half a microsecond a lookup. A commit is cached as
   * encoded, a slice of Node's buffer pool, until its drop replaces it with a copy of its own
   * (`withoutOutcomes`): kept for as long as a user is, a slice would pin its pool slab.
   */
  private readonly cache = new Map<string, Buffer>();
  /** Per `apply` result, the states it wrote that still hold scores, as written: what `published` drops. */
  private readonly unpublished = new WeakMap<readonly StateOutcome[], UserDrop[]>();
  /** Published outcomes not dropped yet, by user id: the latest commit of each user. */
  private queuedDrops = new Map<string, UserDrop>();
  private dropTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly client: Redis,
    private readonly options: WindowOptions,
  ) {
    this.scripts = new Scripts(client);
    this.limits = { windowSize: options.size, dedupeIds: options.dedupeIds, latenessMs: options.latenessMs };
  }

  /**
   * Applies events, each user's in order. Each user's state keeps the outcomes (scores) of this
   * commit until `published` is called with what this returned.
   */
  async apply(events: readonly SourcedEvent[], decide: DecideFn): Promise<StateOutcome[]> {
    const outcomes: (StateOutcome | undefined)[] = new Array(events.length);
    const withScores: UserDrop[] = [];
    const { groups, repeats } = this.group(events);
    const uncached = groups.filter((group) => group.stored === undefined);
    const read = await this.scripts.read(uncached.map((group) => group.key));
    uncached.forEach((group, i) => {
      group.stored = read[i] ?? null;
    });
    let pending = groups;
    for (let attempt = 1; pending.length > 0; attempt++) {
      if (attempt > MAX_ATTEMPTS) {
        throw new StateConflictError(
          `the state of ${pending.length} users kept changing during ${MAX_ATTEMPTS} attempts to apply a batch`,
        );
      }
      const transitions = pending.map((group) =>
        applyEvents(this.decode(group), group.events, this.limits, this.options.actions),
      );
      const states = await this.decideAll(pending, transitions, decide);
      const encoded = states.map(encodeState);
      const written = await this.scripts.write(
        pending.map((group, g) => ({
          key: group.key,
          expected: versionOf(group.stored ?? null),
          state: encoded[g] as Buffer,
        })),
        this.options.ttlMs,
      );
      const conflicted: UserGroup[] = [];
      pending.forEach((group, g) => {
        const result = written[g];
        if (!result?.written) {
          group.stored = result ? result.current : null;
          this.forget(group.userId);
          conflicted.push(group);
          return;
        }
        this.remember(group.userId, encoded[g] as Buffer);
        const state = states[g] as UserState;
        const transition = transitions[g] as Transition;
        // Only outcomes recorded now are published with this batch. A commit that recorded nothing
        // (a replay of older events) carries the last commit's, which may not be published yet.
        if (transition.recorded.length > 0) {
          withScores.push({
            userId: group.userId,
            key: group.key,
            committed: encoded[g] as Buffer,
            span: outcomesSpan(state),
          });
        }
        transition.results.forEach((entry, e) => {
          const index = group.indexes[e] as number;
          if (entry.kind === 'new') {
            const at = transition.recorded.indexOf(e);
            outcomes[index] = {
              status: 'applied',
              outcome: (state.outcomes[at] as { outcome: Buffer }).outcome,
              placed: entry.placed,
            };
          } else if (entry.kind === 'late') {
            outcomes[index] = { status: 'late', lateness: entry.lateness, replayed: false };
          } else if (entry.kind === 'remembered') {
            const lateness = decodeLateness(entry.outcome);
            outcomes[index] = lateness
              ? { status: 'late', lateness, replayed: true }
              : { status: 'remembered', outcome: entry.outcome };
          } else {
            outcomes[index] = { status: 'forgotten' };
          }
        });
      });
      if (conflicted.length > 0) this.options.onConflict?.(conflicted.length);
      pending = conflicted;
    }
    for (const [index, first] of repeats) outcomes[index] = asRepeat(outcomes[first] as StateOutcome);
    const result = outcomes as StateOutcome[];
    this.unpublished.set(result, withScores);
    return result;
  }

  /**
   * Says that the outcomes `apply` returned are published: each user's state written by that call
   * will drop its stored copy of them (at most DROP_DELAY_MS later), which is most of a user's
   * memory at window 50 when several of its events share a batch. A replay of those events is
   * then recognised by offset and not published again. A state changed since (a later commit) is
   * left alone; so are the outcomes of a batch never said to be published, which a replay answers
   * with the same scores.
   */
  async published(outcomes: readonly StateOutcome[]): Promise<void> {
    const drops = this.unpublished.get(outcomes);
    this.unpublished.delete(outcomes);
    if (!drops || drops.length === 0) return;
    for (const drop of drops) this.queuedDrops.set(drop.userId, drop);
    if (this.queuedDrops.size >= DROP_QUEUE_USERS) {
      await this.dropPublished();
      return;
    }
    this.dropTimer ??= setTimeout(() => {
      this.dropPublished().catch((error) => this.options.onDropFailure?.(error));
    }, DROP_DELAY_MS).unref();
  }

  /**
   * Drops the queued published outcomes now. Those of a user this process has committed again since
   * are skipped: that commit replaced them, and Redis would refuse the drop anyway.
   */
  async dropPublished(): Promise<void> {
    clearTimeout(this.dropTimer);
    this.dropTimer = undefined;
    const queued = [...this.queuedDrops.values()];
    this.queuedDrops = new Map();
    const drops = queued.filter(({ userId, committed }) => {
      const cached = this.cache.get(userId);
      return cached === undefined || cached === committed;
    });
    if (drops.length === 0) return;
    // Redis cuts them out of the stored state: sending the whole state again cost a second copy
    // of every user's window.
    const dropped = await this.scripts.dropOutcomes(drops, this.options.ttlMs);
    drops.forEach(({ userId, committed, span }, i) => {
      // In place: the copy stays where the commit put it in the least-recently-written order.
      if (dropped[i] && this.cache.get(userId) === committed)
        this.cache.set(userId, withoutOutcomes(committed, span));
    });
  }

  /** The user's current window, oldest first, and the model state stored with it. */
  async readState(userId: string): Promise<{ window: WindowEntry[]; modelState: Buffer }> {
    const [blob] = await this.scripts.read([userStateKey(this.options.keyPrefix, userId)]);
    const state = blob ? decodeState(blob) : emptyState();
    return { window: windowEntries(state, this.options.actions), modelState: state.model };
  }

  /** The user's current window, oldest first. */
  async read(userId: string): Promise<WindowEntry[]> {
    return (await this.readState(userId)).window;
  }

  /** Deletes everything stored about the user; returns how many keys existed. */
  erase(userId: string): Promise<number> {
    this.forget(userId);
    return this.client.del(userStateKey(this.options.keyPrefix, userId));
  }

  private decode(group: UserGroup): UserState {
    if (!group.stored) return emptyState();
    try {
      return decodeState(group.stored);
    } catch (error) {
      if (!(error instanceof StateFormatError)) throw error;
      this.options.onCorrupt?.(group.userId, error);
      return emptyState();
    }
  }

  private async decideAll(
    groups: readonly UserGroup[],
    transitions: readonly Transition[],
    decide: DecideFn,
  ): Promise<UserState[]> {
    const asking: number[] = [];
    const users: PendingUser[] = [];
    transitions.forEach((transition, g) => {
      const events: NewEvent[] = [];
      for (const [e, result] of transition.results.entries()) {
        if (result.kind !== 'new') continue;
        const group = groups[g] as UserGroup;
        events.push({
          event: (group.events[e] as { event: UserEvent }).event,
          placed: result.placed,
          history: result.history,
          steps: result.steps,
        });
      }
      if (events.length === 0) return;
      asking.push(g);
      users.push({ userId: (groups[g] as UserGroup).userId, modelState: transition.next.model, events });
    });
    const decisions = users.length > 0 ? await decide(users) : [];
    if (decisions.length !== users.length) {
      throw new Error(`expected decisions for ${users.length} users, got ${decisions.length}`);
    }
    const states = transitions.map((transition) => withOutcomes(transition, new Map(), null));
    asking.forEach((g, u) => {
      const transition = transitions[g] as Transition;
      const decision = decisions[u] as UserDecision;
      const newIndexes = transition.results.flatMap((result, e) => (result.kind === 'new' ? [e] : []));
      if (decision.outcomes.length !== newIndexes.length) {
        throw new Error(`expected ${newIndexes.length} outcomes, got ${decision.outcomes.length}`);
      }
      states[g] = withOutcomes(
        transition,
        new Map(newIndexes.map((e, i) => [e, decision.outcomes[i] as Buffer])),
        decision.modelState,
      );
    });
    return states;
  }

  private group(events: readonly SourcedEvent[]): { groups: UserGroup[]; repeats: Map<number, number> } {
    const byUser = new Map<string, UserGroup & { firstIndex: Map<string, number> }>();
    const repeats = new Map<number, number>();
    // A batch holds a few partitions: each one's name is hashed once.
    const sourceIds = new Map<string, number>();
    events.forEach(({ event, offset, source }, index) => {
      let group = byUser.get(event.userId);
      if (!group) {
        const key = userStateKey(this.options.keyPrefix, event.userId);
        group = { userId: event.userId, key, indexes: [], events: [], firstIndex: new Map() };
        const cached = this.cache.get(event.userId);
        if (cached) group.stored = cached;
        byUser.set(event.userId, group);
      }
      // Each eventId is decided once per batch; a repeat within the batch shares the first's outcome.
      const first = group.firstIndex.get(event.eventId);
      if (first !== undefined) {
        repeats.set(index, first);
        return;
      }
      group.firstIndex.set(event.eventId, index);
      group.indexes.push(index);
      let sourceId = sourceIds.get(source);
      if (sourceId === undefined) {
        sourceId = sourceHash(source);
        sourceIds.set(source, sourceId);
      }
      group.events.push({ event, offset: Number(offset), source: sourceId });
    });
    return { groups: [...byUser.values()], repeats };
  }

  private remember(userId: string, blob: Buffer): void {
    if (this.options.cacheUsers === 0) return;
    this.cache.delete(userId);
    this.cache.set(userId, blob);
    if (this.cache.size > this.options.cacheUsers) {
      const oldest = this.cache.keys().next().value as string;
      this.cache.delete(oldest);
    }
  }

  private forget(userId: string): void {
    this.cache.delete(userId);
  }
}

function windowEntries(state: UserState, actions: ActionVocabulary): WindowEntry[] {
  if (state.newestMs === null) return [];
  return readEntries(
    state.window,
    state.window.length,
    Math.floor(state.newestMs / 1000),
    state.windowCount,
    actions,
  );
}

function asRepeat(first: StateOutcome): StateOutcome {
  if (first.status === 'applied') return { status: 'remembered', outcome: first.outcome };
  if (first.status === 'late') return { ...first, replayed: true };
  return first;
}
