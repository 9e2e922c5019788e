import type { ActionVocabulary } from '../events/actionVocabulary.js';
import { ByteReader, isNumericId } from '../events/binaryIds.js';
import type { FeatureVocabularies, SequenceEvent } from './sequenceEncoding.js';

/**
 * A history as the encoder reads it: steps [from, from + length) of `columns`, oldest first.
 * A user's histories in one micro-batch are views of the same columns, decoded once.
 */
export interface HistorySteps {
  columns: HistoryColumns;
  from: number;
  length: number;
}

/**
 * Per step, what the encoder needs: vocabulary indexes and the time. The item ids themselves are
 * made only when asked for (itemId): the encoder needs those of rare items, which share hash
 * buckets, and the merge those of the few items it ranks first. A history decoded into objects
 * with id strings made about a sixth of what a scoring thread allocates at window 50: 17 to 18%
 * more young-generation collections in `bench:window`.
 */
export class HistoryColumns {
  readonly items: Int32Array;
  readonly categories: Int32Array;
  /** Action index + 1, as in EncodedBatch. */
  readonly actions: Int32Array;
  readonly tsMs: Float64Array;
  /** Ids made so far, by step: made on first use. */
  private readonly ids: (string | undefined)[] = [];
  /** Per step decoded from `bytes`: twice the position of its item id, plus 1 when it is a u32. */
  private readonly idAt: Int32Array;
  private bytes: Buffer | undefined;

  constructor(readonly size: number) {
    // Views of one buffer: with a backing store each, this constructor took 0.8 to 0.9% of a
    // window-50 run in CPU profiles, against 0.4 now.
    const buffer = new ArrayBuffer(
      size * (Float64Array.BYTES_PER_ELEMENT + 4 * Int32Array.BYTES_PER_ELEMENT),
    );
    this.tsMs = new Float64Array(buffer, 0, size);
    const ints = size * Float64Array.BYTES_PER_ELEMENT;
    const column = (n: number) =>
      new Int32Array(buffer, ints + n * size * Int32Array.BYTES_PER_ELEMENT, size);
    this.items = column(0);
    this.categories = column(1);
    this.actions = column(2);
    this.idAt = column(3);
  }

  itemId(step: number): string {
    let id = this.ids[step];
    if (id === undefined) {
      const at = this.idAt[step] as number;
      id = new ByteReader(this.bytes as Buffer, at >>> 1).id((at & 1) === 1);
      this.ids[step] = id;
    }
    return id;
  }

  /**
   * The step's item as a map key: its id, or the number it stands for when a window stores it as
   * one (isNumericId), whatever the step was filled from. Rare items are told apart by it, and a
   * window's numeric ids then need no string.
   */
  itemKey(step: number): string | number {
    const id = this.ids[step];
    if (id !== undefined) return isNumericId(id) ? Number(id) : id;
    const at = this.idAt[step] as number;
    const bytes = this.bytes as Buffer;
    return (at & 1) === 1 ? bytes.readUInt32BE(at >>> 1) : this.itemId(step);
  }

  /** Records that the step's item id is in `bytes` at `position`; every such step reads one buffer. */
  idInBytes(step: number, bytes: Buffer, position: number, numeric: boolean): void {
    this.bytes = bytes;
    this.idAt[step] = position * 2 + (numeric ? 1 : 0);
  }

  /** Fills the step from an event, looking its ids up. */
  setEvent(step: number, event: SequenceEvent, vocabularies: FeatureVocabularies): void {
    this.items[step] = vocabularies.items.indexOf(event.itemId);
    this.categories[step] = vocabularies.categories.indexOf(event.categoryId ?? '');
    this.actions[step] = actionId(vocabularies.actions, event.action);
    this.tsMs[step] = event.tsMs;
    this.ids[step] = event.itemId;
  }
}

export function actionId(vocabulary: ActionVocabulary, action: string): number {
  const index = vocabulary.indexOf(action);
  if (index === undefined) throw new Error(`action "${action}" is not in the model's vocabulary`);
  return index + 1;
}

/** Events before a history's kept ones whose times its activity counts and session positions read. */
export const ACTIVITY_CONTEXT = 200;

/**
 * The last `keep` events of `events` as steps, with up to ACTIVITY_CONTEXT events before them by
 * time alone: the encoder reads only their times.
 */
export function eventSteps(
  events: readonly SequenceEvent[],
  vocabularies: FeatureVocabularies,
  keep: number,
): HistorySteps {
  const kept = Math.min(keep, events.length);
  const first = Math.max(0, events.length - kept - ACTIVITY_CONTEXT);
  const columns = new HistoryColumns(events.length - first);
  const keptFrom = events.length - kept - first;
  for (let step = 0; step < columns.size; step++) {
    const event = events[first + step] as SequenceEvent;
    if (step < keptFrom) columns.tsMs[step] = event.tsMs;
    else columns.setEvent(step, event, vocabularies);
  }
  return { columns, from: 0, length: columns.size };
}
