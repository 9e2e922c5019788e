import type { ActionVocabulary } from '../events/actionVocabulary.js';
import { pooledBuffer } from '../events/binaryIds.js';
import type { UserEvent } from '../events/event.js';
import { HistoryColumns, type HistorySteps } from './historySteps.js';
import { fnv1a } from './idVocabulary.js';
import type { FeatureVocabularies } from './sequenceEncoding.js';
import { EVENT_ID_HASH_BYTES, type RememberedOutcome, type UserState } from './userState.js';
import {
  countEntries,
  decodeSteps,
  encodeEntry,
  encodeWindow,
  entryBounds,
  entryEnd,
  entryGapSeconds,
  readEntries,
  toWindowEntry,
  type WindowEntry,
} from './windowEntry.js';

/**
 * What a micro-batch does to one user's state, as a pure function of the state read from Redis: the
 * caller scores the new events, then writes the result back only if nobody changed the state in
 * between (see stateStore.ts). A replayed message is recognised by its input offset, a repeated
 * eventId by its hash among the recent ones; the outcomes of the user's last commit are kept so
 * that a batch stored but not yet published gets the very same scores when it is replayed.
 */

export interface StateLimits {
  windowSize: number;
  /** Recent eventIds remembered, beyond those of the last commit, to spot repeats. */
  dedupeIds: number;
  latenessMs: number;
}

export interface IncomingEvent {
  event: UserEvent;
  /** Input offset within `source`. */
  offset: number;
  /** The input partition, as `sourceHash` gives it. */
  source: number;
}

/** Why an event was too late: older than the newest event by more than the bound, or than a full window. */
export interface Lateness {
  kind: 'lateness' | 'window';
  /** The newest event time (lateness), or the oldest event time in the full window (window). */
  referenceMs: number;
}

export type TransitionResult =
  /**
   * Applied now. `history(n)`: the last n entries up to and including it (at most a window);
   * `steps(n, vocabularies)`: the same as steps, for the encoder.
   */
  | {
      kind: 'new';
      placed: boolean;
      history: (limit: number) => WindowEntry[];
      steps: (limit: number, vocabularies: FeatureVocabularies) => HistorySteps;
    }
  /** Applied in the user's last commit: what was stored for it then. */
  | { kind: 'remembered'; outcome: Buffer }
  /** Applied before, longer ago than its outcome is kept. */
  | { kind: 'forgotten' }
  | { kind: 'late'; lateness: Lateness };

export interface Transition {
  /** The state to write, once the new events' outcomes are filled in with `withOutcomes`. */
  next: UserState;
  results: TransitionResult[];
  /** Indexes of the results recorded by this commit (new and late), in order. */
  recorded: number[];
}

/** An eventId's hash: two FNV-1a of it, stored as their 8 big-endian bytes. */
interface IdHash {
  high: number;
  low: number;
}

export function eventIdHash(eventId: string): IdHash {
  return { high: fnv1a(eventId), low: fnv1a(eventId, 0x050c5d1f) };
}

/**
 * Event id hashes in the order added, to find one again: a user's few are scanned from the newest,
 * and past SCANNED_IDS a set of their high halves turns most misses away without a scan. Before, a
 * Map and a Set keyed by each hash's bytes as a string were built per user and micro-batch.
 */
class IdHashes {
  private readonly highs: number[] = [];
  private readonly lows: number[] = [];
  private highSet: Set<number> | undefined;

  push({ high, low }: IdHash): void {
    this.highs.push(high);
    this.lows.push(low);
    if (this.highSet) this.highSet.add(high);
    else if (this.highs.length > SCANNED_IDS) this.highSet = new Set(this.highs);
  }

  pushBytes(bytes: Buffer, at: number): void {
    this.push({ high: bytes.readUInt32BE(at), low: bytes.readUInt32BE(at + 4) });
  }

  /** Position of the newest hash equal to this one, or -1. */
  lastIndexOf({ high, low }: IdHash): number {
    if (this.highSet && !this.highSet.has(high)) return -1;
    for (let i = this.highs.length - 1; i >= 0; i--) {
      if (this.highs[i] === high && this.lows[i] === low) return i;
    }
    return -1;
  }

  /** The newest `count` (at most), stored as in the user state: 8 bytes each, oldest first. */
  lastBytes(count: number): Buffer {
    const from = Math.max(0, this.highs.length - count);
    const bytes = pooledBuffer((this.highs.length - from) * EVENT_ID_HASH_BYTES);
    for (let i = from, at = 0; i < this.highs.length; i++, at += EVENT_ID_HASH_BYTES) {
      bytes.writeUInt32BE(this.highs[i] as number, at);
      bytes.writeUInt32BE(this.lows[i] as number, at + 4);
    }
    return bytes;
  }
}

/** Hashes a user holds beyond which IdHashes keeps a set: a batch can hold thousands of one user's events. */
const SCANNED_IDS = 32;

export function sourceHash(source: string): number {
  return fnv1a(source);
}

const LATE_TAG = 0xff;

/** A lateness decision, stored like a score so that a replay is answered the same way. */
export function encodeLateness(lateness: Lateness): Buffer {
  const record = pooledBuffer(8);
  record.writeUInt8(LATE_TAG, 0);
  record.writeUInt8(lateness.kind === 'lateness' ? 0 : 1, 1);
  record.writeUIntBE(lateness.referenceMs, 2, 6);
  return record;
}

export function decodeLateness(outcome: Buffer): Lateness | undefined {
  if (outcome.length !== 8 || outcome[0] !== LATE_TAG) return undefined;
  return { kind: outcome[1] === 0 ? 'lateness' : 'window', referenceMs: outcome.readUIntBE(2, 6) };
}

interface Window {
  bytes: Buffer;
  count: number;
  oldestSeconds: number;
  newestSeconds: number;
}

/**
 * The window as a batch changes it. Appended entries are kept apart and joined once, when the
 * window is read whole: joining each one on arrival copied the whole window per event, which made
 * an event's cost grow with the window size.
 */
class ChangingWindow {
  private bytes: Buffer;
  /** Encoded entries appended after `bytes`, in order. Only ever pushed to, or replaced by a new array, so a snapshot's prefix of it stays as it was. */
  private tail: Buffer[] = [];
  count: number;
  oldestSeconds: number;
  newestSeconds: number;

  constructor(stored: Window) {
    this.bytes = stored.bytes;
    this.count = stored.count;
    this.oldestSeconds = stored.oldestSeconds;
    this.newestSeconds = stored.newestSeconds;
  }

  /** Appends an entry at or after the newest; returns it as stored (whole seconds, canonical action). */
  append(entry: WindowEntry, actions: ActionVocabulary): WindowEntry {
    const seconds = entry.tsMs / 1000;
    const encoded = encodeEntry(entry, this.count === 0 ? 0 : seconds - this.newestSeconds, actions);
    this.tail.push(encoded);
    if (this.count === 0) this.oldestSeconds = seconds;
    this.count++;
    this.newestSeconds = seconds;
    return readEntries(encoded, encoded.length, seconds, 1, actions)[0] as WindowEntry;
  }

  /**
   * Inserts an entry older than the newest (rare): the whole window is rewritten, keeping arrival
   * order among equal times. Returns where the entry ends.
   */
  insert(entry: WindowEntry, actions: ActionVocabulary): number {
    const entries = readEntries(this.joined(), this.bytes.length, this.newestSeconds, this.count, actions);
    let position = entries.length;
    while (position > 0 && (entries[position - 1] as WindowEntry).tsMs > entry.tsMs) position--;
    entries.splice(position, 0, entry);
    this.bytes = encodeWindow(entries, actions);
    this.count = entries.length;
    this.oldestSeconds = (entries[0] as WindowEntry).tsMs / 1000;
    return (entryBounds(this.bytes)[position] as { end: number }).end;
  }

  /** The window's bytes as they are now, joined only if asked for. */
  snapshot(): () => Buffer {
    const { bytes, tail } = this;
    const appended = tail.length;
    let joined: Buffer | undefined;
    return () => {
      joined ??= appended === 0 ? bytes : Buffer.concat([bytes, ...tail.slice(0, appended)]);
      return joined;
    };
  }

  joined(): Buffer {
    if (this.tail.length > 0) {
      this.bytes = Buffer.concat([this.bytes, ...this.tail]);
      this.tail = [];
    }
    return this.bytes;
  }

  trimOldest(size: number): void {
    while (this.count > size) {
      // Appended entries are joined only when the stored ones are all gone (a batch longer than the window).
      if (this.bytes.length === 0) this.joined();
      this.bytes = this.bytes.subarray(entryEnd(this.bytes, 0));
      this.count--;
      // The new oldest entry's gap was measured from the entry just dropped.
      const oldest = this.bytes.length > 0 ? this.bytes : this.tail[0];
      if (oldest) this.oldestSeconds += entryGapSeconds(oldest, 0);
    }
  }
}

/**
 * A user's window as this batch's appended events see it: the stored window's newest entries,
 * decoded on first use and only as many as a history asks for, then the new entries. Several events
 * of one user in a batch then share one decode, where reading each event's history from its own
 * snapshot of the window decoded O(window) entries per event. An event placed out of order rewrites
 * the window, so from there on histories are read from the snapshots.
 */
class AppendedWindow {
  private storedEntries: WindowEntry[] = [];
  private readonly added: WindowEntry[] = [];
  /** The stored window's newest `fromStored` entries, then every appended one, as steps. */
  private decoded:
    | { vocabularies: FeatureVocabularies; columns: HistoryColumns; fromStored: number }
    | undefined;

  constructor(
    private readonly stored: Window,
    private readonly actions: ActionVocabulary,
  ) {}

  /** Adds the next appended entry; returns how many have been added, it included. */
  append(entry: WindowEntry): number {
    return this.added.push(entry);
  }

  /** The last `count` entries up to and including the `added`-th appended one, oldest first. */
  history(added: number, count: number): WindowEntry[] {
    const fromAdded = Math.min(added, count);
    const fromStored = Math.min(count - fromAdded, this.stored.count);
    if (fromStored > this.storedEntries.length) {
      const { bytes, newestSeconds } = this.stored;
      this.storedEntries = readEntries(bytes, bytes.length, newestSeconds, fromStored, this.actions);
    }
    // One array, filled in place: slicing both parts and spreading them made three per event.
    const history = new Array<WindowEntry>(fromStored + fromAdded);
    const storedFrom = this.storedEntries.length - fromStored;
    for (let i = 0; i < fromStored; i++) history[i] = this.storedEntries[storedFrom + i] as WindowEntry;
    for (let i = 0; i < fromAdded; i++)
      history[fromStored + i] = this.added[added - fromAdded + i] as WindowEntry;
    return history;
  }

  /** history(added, count) as steps: every history of the batch's events is a view of one decode. */
  steps(added: number, count: number, vocabularies: FeatureVocabularies): HistorySteps {
    const fromAdded = Math.min(added, count);
    const fromStored = Math.min(count - fromAdded, this.stored.count);
    let decoded = this.decoded;
    // Histories are asked for once the batch's events are all appended, so `added` never grows.
    if (!decoded || decoded.vocabularies !== vocabularies || decoded.fromStored < fromStored) {
      const { bytes, newestSeconds } = this.stored;
      const columns = new HistoryColumns(fromStored + this.added.length);
      decodeSteps(bytes, bytes.length, newestSeconds, fromStored, this.actions, vocabularies, columns, 0);
      this.added.forEach((entry, i) => {
        columns.setEvent(fromStored + i, entry, vocabularies);
      });
      decoded = { vocabularies, columns, fromStored };
      this.decoded = decoded;
    }
    // Stored entries fill steps [0, fromStored), appended ones follow: a history is a run of them.
    const length = fromStored + fromAdded;
    return { columns: decoded.columns, from: decoded.fromStored + added - length, length };
  }
}

export function applyEvents(
  state: UserState,
  events: readonly IncomingEvent[],
  limits: StateLimits,
  actions: ActionVocabulary,
): Transition {
  let newestMs = state.newestMs;
  const offsets = new Map(state.offsets);
  const stored: Window = {
    bytes: state.window,
    count: state.windowCount,
    oldestSeconds: state.oldestEntrySeconds,
    newestSeconds: newestMs === null ? 0 : Math.floor(newestMs / 1000),
  };
  const window = new ChangingWindow(stored);
  const remembered = new IdHashes();
  for (const { idHash } of state.outcomes) remembered.pushBytes(idHash, 0);
  const recent = new IdHashes();
  for (let at = 0; at < state.recentIds.length; at += EVENT_ID_HASH_BYTES)
    recent.pushBytes(state.recentIds, at);
  const results: TransitionResult[] = [];
  const recorded: number[] = [];
  const lateOutcomes = new Map<number, Buffer>();
  const appended = new AppendedWindow(stored, actions);
  let rewritten = false;

  for (const { event, offset, source } of events) {
    const offsetSeen = offsets.get(source) ?? -1;
    const idHash = eventIdHash(event.eventId);
    const rememberedAt = remembered.lastIndexOf(idHash);
    if (rememberedAt >= 0) {
      results.push({
        kind: 'remembered',
        outcome: (state.outcomes[rememberedAt] as RememberedOutcome).outcome,
      });
    } else if (recent.lastIndexOf(idHash) >= 0 || offset <= offsetSeen) {
      results.push({ kind: 'forgotten' });
    } else {
      const entry = toWindowEntry(event);
      let lateness: Lateness | undefined;
      if (newestMs !== null && event.tsMs < newestMs - limits.latenessMs) {
        lateness = { kind: 'lateness', referenceMs: newestMs };
      } else if (window.count >= limits.windowSize && entry.tsMs / 1000 < window.oldestSeconds) {
        lateness = { kind: 'window', referenceMs: window.oldestSeconds * 1000 };
      }
      recorded.push(results.length);
      recent.push(idHash);
      if (lateness) {
        lateOutcomes.set(results.length, encodeLateness(lateness));
        results.push({ kind: 'late', lateness });
      } else {
        const seconds = entry.tsMs / 1000;
        const placed = window.count > 0 && seconds < window.newestSeconds;
        // The entry as stored (canonical action name, whole seconds), as a snapshot read would give it.
        const storedEntry = placed ? undefined : window.append(entry, actions);
        const end = placed ? window.insert(entry, actions) : undefined;
        const snapshot = window.snapshot();
        const readSnapshot = (count: number) => {
          const bytes = snapshot();
          return readEntries(bytes, end ?? bytes.length, seconds, count, actions);
        };
        const snapshotSteps = (count: number, vocabularies: FeatureVocabularies): HistorySteps => {
          const bytes = snapshot();
          const upTo = end ?? bytes.length;
          const columns = new HistoryColumns(countEntries(bytes, upTo, count));
          decodeSteps(bytes, upTo, seconds, columns.size, actions, vocabularies, columns, 0);
          return { columns, from: 0, length: columns.size };
        };
        rewritten ||= placed;
        // 0 once the window has been rewritten: this event's history comes from its snapshot.
        const added = rewritten ? 0 : appended.append(storedEntry as WindowEntry);
        results.push({
          kind: 'new',
          placed,
          history: (limit) => {
            const count = Math.min(limit, limits.windowSize);
            return added === 0 ? readSnapshot(count) : appended.history(added, count);
          },
          steps: (limit, vocabularies) => {
            const count = Math.min(limit, limits.windowSize);
            return added === 0
              ? snapshotSteps(count, vocabularies)
              : appended.steps(added, count, vocabularies);
          },
        });
        window.trimOldest(limits.windowSize);
        if (newestMs === null || event.tsMs > newestMs) newestMs = event.tsMs;
      }
    }
    if (offset > offsetSeen) offsets.set(source, offset);
  }

  // The recorded events' hashes are the last ones pushed to `recent`, in order.
  const recordedIds = recent.lastBytes(recorded.length);
  const next: UserState = {
    seq: (state.seq + 1) % 2 ** 32,
    newestMs,
    oldestEntrySeconds: window.oldestSeconds,
    offsets,
    recentIds: recent.lastBytes(limits.dedupeIds),
    // Outcomes of the last commit that recorded something: a replay of an unpublished batch needs them.
    outcomes:
      recorded.length === 0
        ? state.outcomes
        : recorded.map((index, i) => ({
            idHash: recordedIds.subarray(i * EVENT_ID_HASH_BYTES, (i + 1) * EVENT_ID_HASH_BYTES),
            outcome: lateOutcomes.get(index) ?? Buffer.alloc(0),
          })),
    model: state.model,
    windowCount: window.count,
    window: window.joined(),
  };
  return { next, results, recorded };
}

/** The state with each new event's outcome (in result order) and the scorer's new model state. */
export function withOutcomes(
  transition: Transition,
  outcomes: ReadonlyMap<number, Buffer>,
  model: Buffer | null,
): UserState {
  const { next, recorded } = transition;
  const filled =
    recorded.length === 0
      ? next.outcomes
      : next.outcomes.map((entry, i) => {
          const outcome = outcomes.get(recorded[i] as number);
          return outcome ? { ...entry, outcome } : entry;
        });
  return { ...next, outcomes: filled, model: model ?? next.model };
}
