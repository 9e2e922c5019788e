import type { ActionVocabulary } from '../events/actionVocabulary.js';
import type { IdVocabulary } from './idVocabulary.js';
import { SESSION_GAP_MS } from './sessions.js';

/** What the encoder needs of an event; both WindowEntry and UserEvent have it. */
export interface SequenceEvent {
  itemId: string;
  categoryId?: string | null;
  action: string;
  tsMs: number;
}

export interface FeatureVocabularies {
  actions: ActionVocabulary;
  items: IdVocabulary;
  categories: IdVocabulary;
}

/**
 * Numeric features of each step, all computable when the event arrives (never from later events), so
 * that a recurrent state can be advanced one event at a time: log time gap since the previous event,
 * log position in the session, log events in the last hour and in the last day, and log time since
 * the session started. The activity counts and the session's duration are what tells a break coming
 * (churn) apart from a pause; the encoder alone did not learn them from the gaps. The hour of day is
 * a categorical input (`hours`): activity peaks and night-time breaks are not a smooth function of
 * the hour.
 */
export const STEP_NUMERIC_FEATURES = 5;
export const HOURS = 24;

/**
 * A batch of sequences as flat arrays, left-padded to a common length. Id 0 is padding everywhere,
 * and `mask` is 0 there, so a short history scores exactly as if it had never been padded.
 */
export interface EncodedBatch {
  batchSize: number;
  length: number;
  /** [batchSize * length] */
  items: Int32Array;
  categories: Int32Array;
  /** Action index + 1. */
  actions: Int32Array;
  /** UTC hour of day + 1. */
  hours: Int32Array;
  /** [batchSize * length * STEP_NUMERIC_FEATURES] */
  numeric: Float32Array;
  /** [batchSize * length], 1 for a real event */
  mask: Float32Array;
  /**
   * [batchSize * length], the same small number for the same item within one sequence (0 = padding).
   * Unlike `items` it never merges two rare items that share a hash bucket.
   */
  itemKeys: Int32Array;
  /** [batchSize * length], event time in seconds relative to the sequence's last event (<= 0) */
  secondsBeforeLast: Float32Array;
}

/** log1p(seconds) grows to about 13 for a week; dividing keeps the input near the unit range. */
const GAP_SCALE = 1 / 12;

export function scaledGap(previousMs: number | undefined, currentMs: number): number {
  if (previousMs === undefined) return 0;
  // Out-of-order arrivals give negative gaps; treat them as simultaneous rather than as time travel.
  return Math.log1p(Math.max(0, (currentMs - previousMs) / 1000)) * GAP_SCALE;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

interface RecentActivity {
  /** Events in the hour and in the day up to and including this one. */
  lastHour: number;
  lastDay: number;
  /** Seconds since the first event of this one's session, and this one's 1-based position in it. */
  sessionSeconds: number;
  position: number;
}

/**
 * How active the user has been lately, at each event of a history in time order: the strongest
 * signals of an imminent break that a single step's gap does not carry.
 */
function recentActivity(events: readonly SequenceEvent[]): RecentActivity[] {
  let hourFrom = 0;
  let dayFrom = 0;
  let sessionFrom = 0;
  return events.map((event, i) => {
    while (hourFrom < i && (events[hourFrom] as SequenceEvent).tsMs <= event.tsMs - HOUR_MS) hourFrom++;
    while (dayFrom < i && (events[dayFrom] as SequenceEvent).tsMs <= event.tsMs - DAY_MS) dayFrom++;
    const previous = events[i - 1];
    if (previous && event.tsMs - previous.tsMs > SESSION_GAP_MS) sessionFrom = i;
    return {
      lastHour: i - hourFrom + 1,
      lastDay: i - dayFrom + 1,
      sessionSeconds: Math.max(0, event.tsMs - (events[sessionFrom] as SequenceEvent).tsMs) / 1000,
      position: i - sessionFrom + 1,
    };
  });
}

/**
 * recentActivity for the last event alone, scanning back from it: what the incremental scorer
 * needs, since only a history's last event goes through the encoder.
 */
function lastEventActivity(events: readonly SequenceEvent[], first: number): RecentActivity {
  const last = events.length - 1;
  const nowMs = (events[last] as SequenceEvent).tsMs;
  let hourFrom = last;
  while (hourFrom > first && (events[hourFrom - 1] as SequenceEvent).tsMs > nowMs - HOUR_MS) hourFrom--;
  let dayFrom = hourFrom;
  while (dayFrom > first && (events[dayFrom - 1] as SequenceEvent).tsMs > nowMs - DAY_MS) dayFrom--;
  let sessionFrom = last;
  while (
    sessionFrom > first &&
    (events[sessionFrom] as SequenceEvent).tsMs - (events[sessionFrom - 1] as SequenceEvent).tsMs <=
      SESSION_GAP_MS
  ) {
    sessionFrom--;
  }
  return {
    lastHour: last - hourFrom + 1,
    lastDay: last - dayFrom + 1,
    sessionSeconds: Math.max(0, nowMs - (events[sessionFrom] as SequenceEvent).tsMs) / 1000,
    position: last - sessionFrom + 1,
  };
}

/** The UTC hour of an epoch time, as Date's getUTCHours gives it, without allocating a Date per step. */
export function utcHour(tsMs: number): number {
  return ((Math.floor(tsMs / HOUR_MS) % HOURS) + HOURS) % HOURS;
}

export function actionId(vocabulary: ActionVocabulary, action: string): number {
  const index = vocabulary.indexOf(action);
  if (index === undefined) throw new Error(`action "${action}" is not in the model's vocabulary`);
  return index + 1;
}

/** A row's kept events: `sequence[start, start + kept)`, encoded from position `offset` on. */
interface KeptEvents {
  sequence: readonly SequenceEvent[];
  start: number;
  kept: number;
  offset: number;
}

/**
 * How many of the row's first events are the very objects the previous row ended with, before
 * its last event was added, and where their ids were encoded. Consecutive events of one user have
 * such rows: each history is the one before it, less its oldest event when full, plus the new
 * event. Their vocabulary lookups are then copied instead of made again: a busy user's events
 * in one micro-batch share most of their histories.
 */
const NOTHING_SHARED = { count: 0, from: 0 };

function sharedPrefix(previous: KeptEvents, row: KeptEvents): { count: number; from: number } {
  const count = row.kept - 1;
  const skip = previous.kept - count;
  if (count <= 0 || skip < 0 || skip > 1) return NOTHING_SHARED;
  for (let i = 0; i < count; i++) {
    if (row.sequence[row.start + i] !== previous.sequence[previous.start + skip + i]) return NOTHING_SHARED;
  }
  return { count, from: previous.offset + skip };
}

/**
 * Marks on frequent items, for membership tests without a set per row. A caller reserves the
 * stamps it needs by advancing `next` and marks items with them; a stamp below its own range was
 * left by an earlier call, so the array is never cleared.
 */
export interface FrequentItemStamps {
  /** Per vocabulary index of a frequent item, the last stamp given to it (0: none). */
  stamps: Float64Array;
  /** The first stamp not yet reserved: stamps only grow. */
  next: number;
}

/**
 * Kept per vocabulary between batches, and shared by the encoding and the merge of the next-item
 * heads (calls never interleave): one array of a vocabulary's size per batch would cost more than
 * the map lookups it saves (a pass of 20 events would allocate 160 KB for 20,000 items).
 */
const stampsByVocabulary = new WeakMap<IdVocabulary, FrequentItemStamps>();

export function frequentItemStamps(items: IdVocabulary): FrequentItemStamps {
  let stamps = stampsByVocabulary.get(items);
  if (!stamps) {
    stamps = { stamps: new Float64Array(1 + items.frequent.length), next: 1 };
    stampsByVocabulary.set(items, stamps);
  }
  return stamps;
}

/**
 * Encodes each sequence's last `maxLength` events. The common length is the longest kept sequence,
 * so a batch of short histories costs only as many steps as it needs. With `stepFeatures: 'last'`,
 * the hour and the numeric features are computed for each sequence's last event only (0 elsewhere):
 * incremental scoring steps the encoder on that event and reads only ids from the rest.
 */
export function encodeSequences(
  sequences: readonly (readonly SequenceEvent[])[],
  vocabularies: FeatureVocabularies,
  maxLength: number,
  options: { stepFeatures?: 'every' | 'last' } = {},
): EncodedBatch {
  const lastOnly = options.stepFeatures === 'last';
  const length = Math.max(1, ...sequences.map((sequence) => Math.min(sequence.length, maxLength)));
  const size = sequences.length * length;
  const batch: EncodedBatch = {
    batchSize: sequences.length,
    length,
    items: new Int32Array(size),
    categories: new Int32Array(size),
    actions: new Int32Array(size),
    hours: new Int32Array(size),
    numeric: new Float32Array(size * STEP_NUMERIC_FEATURES),
    mask: new Float32Array(size),
    itemKeys: new Int32Array(size),
    secondsBeforeLast: new Float32Array(size),
  };
  // Per item, its key in the row that last held it, as a stamp: the row's base plus the key. A
  // frequent item has a vocabulary index of its own, so its stamp is kept by index in an array;
  // other items share hash buckets and are told apart by id, in a map for the batch.
  const frequentStamps = frequentItemStamps(vocabularies.items);
  const batchStamp = frequentStamps.next;
  frequentStamps.next += sequences.length * (length + 1);
  const frequentItems = vocabularies.items.frequent.length;
  const keyStamps = new Map<string, number>();
  let previous: KeptEvents | undefined;
  sequences.forEach((sequence, row) => {
    const start = Math.max(0, sequence.length - maxLength);
    const kept = sequence.length - start;
    const offset = row * length + (length - kept);
    const current = { sequence, start, kept, offset };
    const shared = previous ? sharedPrefix(previous, current) : NOTHING_SHARED;
    previous = current;
    const lastMs = sequence[sequence.length - 1]?.tsMs ?? 0;
    // Session positions and activity counts need the events before the window too.
    const contextFrom = Math.max(0, start - 200);
    const lastActivity = lastOnly && kept > 0 ? lastEventActivity(sequence, contextFrom) : undefined;
    const activity = lastOnly ? [] : recentActivity(sequence.slice(contextFrom)).slice(start - contextFrom);
    const rowStamp = batchStamp + row * (length + 1);
    let rowKeys = 0;
    for (let i = 0; i < kept; i++) {
      const event = sequence[start + i] as SequenceEvent;
      const at = offset + i;
      if (i < shared.count) {
        const from = shared.from + i;
        batch.items[at] = batch.items[from] as number;
        batch.categories[at] = batch.categories[from] as number;
        batch.actions[at] = batch.actions[from] as number;
      } else {
        batch.items[at] = vocabularies.items.indexOf(event.itemId);
        batch.categories[at] = vocabularies.categories.indexOf(event.categoryId ?? '');
        batch.actions[at] = actionId(vocabularies.actions, event.action);
      }
      batch.mask[at] = 1;
      const item = batch.items[at] as number;
      const frequent = item <= frequentItems;
      const stamp = frequent ? (frequentStamps.stamps[item] as number) : keyStamps.get(event.itemId);
      if (stamp !== undefined && stamp > rowStamp) {
        batch.itemKeys[at] = stamp - rowStamp;
      } else {
        rowKeys++;
        if (frequent) frequentStamps.stamps[item] = rowStamp + rowKeys;
        else keyStamps.set(event.itemId, rowStamp + rowKeys);
        batch.itemKeys[at] = rowKeys;
      }
      batch.secondsBeforeLast[at] = (event.tsMs - lastMs) / 1000;
      if (lastOnly && i < kept - 1) continue;
      batch.hours[at] = 1 + utcHour(event.tsMs);
      const numeric = at * STEP_NUMERIC_FEATURES;
      batch.numeric[numeric] = scaledGap(sequence[start + i - 1]?.tsMs, event.tsMs);
      const recent = lastActivity ?? (activity[i] as RecentActivity);
      batch.numeric[numeric + 1] = Math.log1p(recent.position) / 4;
      batch.numeric[numeric + 2] = Math.log1p(recent.lastHour) / 4;
      batch.numeric[numeric + 3] = Math.log1p(recent.lastDay) / 4;
      batch.numeric[numeric + 4] = Math.log1p(recent.sessionSeconds) * GAP_SCALE;
    }
  });
  return batch;
}
