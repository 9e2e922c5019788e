import type { ActionVocabulary } from '../events/actionVocabulary.js';
import { ACTIVITY_CONTEXT, eventSteps, type HistorySteps } from './historySteps.js';
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
 * How active the user has been lately, at each step [from, end) of a history in time order: the
 * strongest signals of an imminent break that a single step's gap does not carry.
 */
function recentActivity(tsMs: Float64Array, from: number, end: number): RecentActivity[] {
  let hourFrom = from;
  let dayFrom = from;
  let sessionFrom = from;
  const activity: RecentActivity[] = [];
  for (let i = from; i < end; i++) {
    const nowMs = tsMs[i] as number;
    while (hourFrom < i && (tsMs[hourFrom] as number) <= nowMs - HOUR_MS) hourFrom++;
    while (dayFrom < i && (tsMs[dayFrom] as number) <= nowMs - DAY_MS) dayFrom++;
    if (i > from && nowMs - (tsMs[i - 1] as number) > SESSION_GAP_MS) sessionFrom = i;
    activity.push({
      lastHour: i - hourFrom + 1,
      lastDay: i - dayFrom + 1,
      sessionSeconds: Math.max(0, nowMs - (tsMs[sessionFrom] as number)) / 1000,
      position: i - sessionFrom + 1,
    });
  }
  return activity;
}

/**
 * recentActivity for the step before `end` alone, scanning back from it no further than `first`:
 * what the incremental scorer needs, since only a history's last event goes through the encoder.
 */
function lastEventActivity(tsMs: Float64Array, first: number, end: number): RecentActivity {
  const last = end - 1;
  const nowMs = tsMs[last] as number;
  let hourFrom = last;
  while (hourFrom > first && (tsMs[hourFrom - 1] as number) > nowMs - HOUR_MS) hourFrom--;
  let dayFrom = hourFrom;
  while (dayFrom > first && (tsMs[dayFrom - 1] as number) > nowMs - DAY_MS) dayFrom--;
  let sessionFrom = last;
  while (
    sessionFrom > first &&
    (tsMs[sessionFrom] as number) - (tsMs[sessionFrom - 1] as number) <= SESSION_GAP_MS
  ) {
    sessionFrom--;
  }
  return {
    lastHour: last - hourFrom + 1,
    lastDay: last - dayFrom + 1,
    sessionSeconds: Math.max(0, nowMs - (tsMs[sessionFrom] as number)) / 1000,
    position: last - sessionFrom + 1,
  };
}

/** The UTC hour of an epoch time, as Date's getUTCHours gives it, without allocating a Date per step. */
export function utcHour(tsMs: number): number {
  return ((Math.floor(tsMs / HOUR_MS) % HOURS) + HOURS) % HOURS;
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
  options: EncodeOptions = {},
): EncodedBatch {
  const histories = sequences.map((sequence) => eventSteps(sequence, vocabularies, maxLength));
  return encodeHistories(histories, vocabularies, maxLength, options);
}

export interface EncodeOptions {
  stepFeatures?: 'every' | 'last';
}

/** encodeSequences for histories already in steps, their ids looked up in `vocabularies`. */
export function encodeHistories(
  histories: readonly HistorySteps[],
  vocabularies: FeatureVocabularies,
  maxLength: number,
  options: EncodeOptions = {},
): EncodedBatch {
  const lastOnly = options.stepFeatures === 'last';
  const length = Math.max(1, ...histories.map((history) => Math.min(history.length, maxLength)));
  const size = histories.length * length;
  const batch: EncodedBatch = {
    batchSize: histories.length,
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
  frequentStamps.next += histories.length * (length + 1);
  const frequentItems = vocabularies.items.frequent.length;
  const keyStamps = new Map<string | number, number>();
  histories.forEach((history, row) => {
    const { columns } = history;
    const end = history.from + history.length;
    const start = Math.max(history.from, end - maxLength);
    const kept = end - start;
    const offset = row * length + (length - kept);
    const lastMs = kept > 0 ? (columns.tsMs[end - 1] as number) : 0;
    // Session positions and activity counts need the events before the window too.
    const contextFrom = Math.max(history.from, start - ACTIVITY_CONTEXT);
    const lastActivity = lastOnly && kept > 0 ? lastEventActivity(columns.tsMs, contextFrom, end) : undefined;
    const activity = lastOnly
      ? []
      : recentActivity(columns.tsMs, contextFrom, end).slice(start - contextFrom);
    const rowStamp = batchStamp + row * (length + 1);
    let rowKeys = 0;
    for (let i = 0; i < kept; i++) {
      const step = start + i;
      const at = offset + i;
      const item = columns.items[step] as number;
      batch.items[at] = item;
      batch.categories[at] = columns.categories[step] as number;
      batch.actions[at] = columns.actions[step] as number;
      batch.mask[at] = 1;
      const frequent = item <= frequentItems;
      const itemKey = frequent ? 0 : columns.itemKey(step);
      const stamp = frequent ? (frequentStamps.stamps[item] as number) : keyStamps.get(itemKey);
      if (stamp !== undefined && stamp > rowStamp) {
        batch.itemKeys[at] = stamp - rowStamp;
      } else {
        rowKeys++;
        if (frequent) frequentStamps.stamps[item] = rowStamp + rowKeys;
        else keyStamps.set(itemKey, rowStamp + rowKeys);
        batch.itemKeys[at] = rowKeys;
      }
      const tsMs = columns.tsMs[step] as number;
      batch.secondsBeforeLast[at] = (tsMs - lastMs) / 1000;
      if (lastOnly && i < kept - 1) continue;
      batch.hours[at] = 1 + utcHour(tsMs);
      const numeric = at * STEP_NUMERIC_FEATURES;
      batch.numeric[numeric] = scaledGap(step > history.from ? columns.tsMs[step - 1] : undefined, tsMs);
      const recent = lastActivity ?? (activity[i] as RecentActivity);
      batch.numeric[numeric + 1] = Math.log1p(recent.position) / 4;
      batch.numeric[numeric + 2] = Math.log1p(recent.lastHour) / 4;
      batch.numeric[numeric + 3] = Math.log1p(recent.lastDay) / 4;
      batch.numeric[numeric + 4] = Math.log1p(recent.sessionSeconds) * GAP_SCALE;
    }
  });
  return batch;
}
