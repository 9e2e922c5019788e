import * as tf from '@tensorflow/tfjs';
import { eventSteps, type HistorySteps } from '../features/historySteps.js';
import {
  type EncodedBatch,
  encodeHistories,
  frequentItemStamps,
  type SequenceEvent,
} from '../features/sequenceEncoding.js';
import {
  type ExploreShortlist,
  exploreColumn,
  exploreItemIndex,
  type ShareBounds,
} from './exploreShortlist.js';
import { repeatCandidates } from './repeatCandidates.js';
import { batchTensors, type SequenceModel } from './sequenceModel.js';
import { sigmoid } from './sigmoid.js';
import { tidyRead } from './tidyRead.js';

export interface ItemScore {
  itemId: string;
  score: number;
}

/** What the model says after the last event of one history. */
export interface Prediction {
  /** Probability of each action being next, in vocabulary order. */
  nextAction: number[];
  /** Probability of no further event within the churn horizon. */
  churn: number;
  /** The k most likely next items, best first. */
  nextItems: ItemScore[];
}

/** The heads' inputs for n scored events: each one's state and query, and its history's keys. */
export interface HeadInputs {
  /** [n, headInputSize] */
  states: tf.Tensor2D;
  /** [n, R] */
  query: tf.Tensor2D;
  /** [n, length, R]: the history steps as repeat candidates; the last step is the scored event. */
  keys: tf.Tensor3D;
}

/**
 * The k best entries offered since the last reset, best first; of equal scores, the one offered
 * first stays first. Reused across rows: allocating its scores per row was most of its cost.
 */
export class TopK<T> {
  entries: T[] = [];
  private readonly scores: Float64Array;

  constructor(readonly k: number) {
    this.scores = new Float64Array(k);
  }

  /** Starts a new selection; the previous `entries` array is left to its holder. */
  reset(): void {
    this.entries = [];
  }

  /** The k-th best score, once k entries have been offered. */
  lowest(): number {
    return this.scores[this.k - 1] as number;
  }

  accepts(score: number): boolean {
    return this.entries.length < this.k || score > (this.scores[this.k - 1] as number);
  }

  offer(entry: T, score: number): void {
    if (!this.accepts(score)) return;
    // Shifting by hand: k is small, and splice allocated on every accepted offer.
    let position = Math.min(this.entries.length, this.k - 1);
    if (this.entries.length < this.k) this.entries.push(entry);
    while (position > 0 && (this.scores[position - 1] as number) < score) {
      this.scores[position] = this.scores[position - 1] as number;
      this.entries[position] = this.entries[position - 1] as T;
      position--;
    }
    this.scores[position] = score;
    this.entries[position] = entry;
  }
}

/** What a scan of a row may skip, beyond the values below its own k best. */
export interface ScanLimits {
  /** Values at or below this cannot make the caller's list. */
  floor: number;
  /**
   * The log of an upper bound on the row's values from a column on; non-increasing in the column.
   * In logs, so that a check costs no exp: the floor's log is taken only when the floor rises.
   */
  logBoundFrom?: (column: number) => number;
}

/** How often, in columns, a scan with a bound checks it. */
const BOUND_CHECK_EVERY = 16;

/**
 * Indexes of the `top.k` largest values of row (values[from .. from + width)) that are not skipped
 * and lie above `limits.floor`, best first. The scan stops where `limits.logBoundFrom` says no later
 * value can make the list.
 */
export function topIndexes(
  values: Float32Array,
  from: number,
  width: number,
  top: TopK<number>,
  skip: (index: number) => boolean,
  limits?: ScanLimits,
): number[] {
  top.reset();
  const k = top.k;
  const logBoundFrom = limits?.logBoundFrom;
  // Most values fall below the k-th best, so they are tested against a local floor four at a time
  // before one by one: about 4.1 µs a row of 2,048 softmax shares against 6.6 (micro-benchmark).
  let floor = limits?.floor ?? Number.NEGATIVE_INFINITY;
  // Below a negative floor even zeros make the list, though their bound is log 0 = -Infinity: the
  // log of such a floor is NaN, which no bound is at or below, so the bound never ends that scan.
  let logFloor = Math.log(floor);
  for (let i = 0; i < width; i += 4) {
    if (logBoundFrom && i % BOUND_CHECK_EVERY === 0 && logBoundFrom(i) <= logFloor) break;
    const at = from + i;
    const end = Math.min(i + 4, width);
    if (
      end - i === 4 &&
      (values[at] as number) <= floor &&
      (values[at + 1] as number) <= floor &&
      (values[at + 2] as number) <= floor &&
      (values[at + 3] as number) <= floor
    ) {
      continue;
    }
    for (let j = i; j < end; j++) {
      const value = values[from + j] as number;
      if (value <= floor || skip(j)) continue;
      top.offer(j, value);
      if (top.entries.length === k && top.lowest() > floor) {
        floor = top.lowest();
        logFloor = Math.log(floor);
      }
    }
  }
  return top.entries;
}

/**
 * The k best of keys 1..distinct by `scores`, best first and, of equal scores, the lower key first:
 * written to `best` (with their scores to `bestScores`); returns how many. Keys number a history's
 * items by first appearance, and the repeat head favours recent items, so the scan runs from the
 * last key down: the best come first and most others fail one comparison, where a scan upwards
 * moved most keys through the list.
 */
export function bestKeys(
  scores: Float64Array,
  distinct: number,
  k: number,
  best: Int32Array,
  bestScores: Float64Array,
): number {
  let count = 0;
  for (let key = distinct; key >= 1; key--) {
    const score = scores[key] as number;
    if (count === k && score < (bestScores[k - 1] as number)) continue;
    let position = count < k ? count++ : k - 1;
    // A lower key, scanned later, goes before the equal scores already in.
    while (position > 0 && (bestScores[position - 1] as number) <= score) {
      best[position] = best[position - 1] as number;
      bestScores[position] = bestScores[position - 1] as number;
      position--;
    }
    best[position] = key;
    bestScores[position] = score;
  }
  return count;
}

/** The heads' values for n scored events, read from tensors, flat in row-major order. */
export interface HeadValues {
  /** [n, actions] */
  actions: Float32Array;
  /** [n] */
  churn: Float32Array;
  /** [n]: the repeat head's share of the next-item probability. */
  gate: Float32Array;
  /** [n, length]: the repeat head's attention over the history steps (0 for non-candidates). */
  attention: Float32Array;
  /**
   * [n, length]: explore logits of the history's own items. The merge reads only those of frequent
   * items outside the shortlist: exploreShares has the others.
   */
  historyLogits: Float32Array;
  /**
   * [n, exploreWidth]: the explore softmax of the shortlist's items, or of every frequent item, up
   * to a factor per row: exploreScale.
   */
  exploreShares: Float32Array;
  /** [n]: turns a row of exploreShares into probabilities under the whole vocabulary. */
  exploreScale: Float32Array;
  /** [n]: log of the explore softmax's normalizer. */
  logNormalizer: Float32Array;
  /** With a shortlist: what bounds the shares of a row's later columns (ExploreShortlist.logShareBound). */
  exploreBounds?: ShareBounds;
}

/**
 * The next-action, churn and gate heads of states [n, headInputSize]: one product with their weights
 * side by side, then the softmax and the sigmoids over a few values a row in plain loops. Written as
 * one projection per head, with their reshapes, they ran about twenty kernels a micro-batch, each
 * paying the backend's dispatch for a few values of work.
 */
export function smallHeads(
  model: SequenceModel,
  states: tf.Tensor2D,
): Pick<HeadValues, 'actions' | 'churn' | 'gate'> {
  const { params } = model;
  const { logits } = tidyRead(() => ({
    logits: tf.add(
      tf.matMul(
        states,
        tf.concat([params.get('head.action.w'), params.get('head.churn.w'), params.get('head.gate.w')], 1),
      ),
      tf.concat([params.get('head.action.b'), params.get('head.churn.b'), params.get('head.gate.b')]),
    ),
  }));
  const rows = states.shape[0];
  const actionCount = model.vocabularies.actions.size;
  const width = actionCount + 2;
  const actions = new Float32Array(rows * actionCount);
  const churn = new Float32Array(rows);
  const gate = new Float32Array(rows);
  for (let b = 0; b < rows; b++) {
    const at = b * width;
    let largest = Number.NEGATIVE_INFINITY;
    for (let a = 0; a < actionCount; a++) largest = Math.max(largest, logits[at + a] as number);
    let total = 0;
    for (let a = 0; a < actionCount; a++) {
      const share = Math.exp((logits[at + a] as number) - largest);
      actions[b * actionCount + a] = share;
      total += share;
    }
    for (let a = 0; a < actionCount; a++)
      actions[b * actionCount + a] = (actions[b * actionCount + a] as number) / total;
    churn[b] = sigmoid(logits[at + actionCount] as number);
    gate[b] = sigmoid(logits[at + actionCount + 1] as number);
  }
  return { actions, churn, gate };
}

/** The heads that do not look at the history: next action, churn, gate and the explore softmax. */
export function stateHeads(
  model: SequenceModel,
  states: tf.Tensor2D,
  query: tf.Tensor2D,
  shortlist?: ExploreShortlist,
): Pick<
  HeadValues,
  'actions' | 'churn' | 'gate' | 'exploreShares' | 'exploreScale' | 'logNormalizer' | 'exploreBounds'
> {
  const heads = smallHeads(model, states);
  if (shortlist) {
    const { shares, scale, logNormalizer, bounds } = shortlist.probabilities(query);
    return { ...heads, exploreShares: shares, exploreScale: scale, logNormalizer, exploreBounds: bounds };
  }
  const explore = tidyRead(() => {
    const all = model.exploreLogits(query);
    return {
      exploreShares: tf.slice(
        tf.softmax(all),
        [0, 1],
        [states.shape[0], model.vocabularies.items.frequent.length],
      ),
      logNormalizer: tf.logSumExp(all, 1),
    };
  });
  return { ...heads, ...explore, exploreScale: new Float32Array(states.shape[0]).fill(1) };
}

/**
 * Reads the heads for scored events with tensor ops, the history's keys included (whole-sequence
 * scoring; the incremental scorer reads the history part with HistoryHead instead).
 */
export function readHeads(
  model: SequenceModel,
  inputs: HeadInputs,
  batch: EncodedBatch,
  histories: readonly HistorySteps[],
  k: number,
  shortlist?: ExploreShortlist,
): Prediction[] {
  const { batchSize, length } = batch;
  const candidates = repeatCandidates(batch, true);
  const history = tidyRead(() => {
    const asSteps = (t: tf.Tensor2D) => tf.expandDims(t, 1) as tf.Tensor3D;
    const attention = tf.squeeze(
      tf.softmax(model.repeatLogits(asSteps(inputs.query), inputs.keys, candidates)),
      [1],
    );
    const items = tf.tensor2d(batch.items, [batchSize, length], 'int32');
    const historyLogits = tf.add(
      tf.squeeze(
        tf.matMul(asSteps(inputs.query), tf.gather(model.params.get('emb.item'), items), false, true),
        [1],
      ),
      tf.gather(model.params.get('head.item.bias'), items),
    );
    return { attention, historyLogits };
  });
  const values = { ...stateHeads(model, inputs.states, inputs.query, shortlist), ...history };
  return mergePredictions(model, values, batch, histories, k, shortlist);
}

/**
 * Next items merge the two item heads: each history item gets the gate's share of its repeat
 * attention, and the most likely vocabulary items get the rest in proportion to the explore
 * softmax. Hashed (rare) ids take part through the repeat head only, since a bucket's probability
 * belongs to no single item. The explore softmax is read on the shortlist (see
 * exploreShortlist.ts) instead of the whole vocabulary when one is given.
 */
export function mergePredictions(
  model: SequenceModel,
  outputs: HeadValues,
  batch: EncodedBatch,
  histories: readonly HistorySteps[],
  k: number,
  shortlist?: ExploreShortlist,
): Prediction[] {
  const { length } = batch;
  const frequentItems = model.vocabularies.items.frequent.length;
  const exploreWidth = shortlist ? shortlist.size : frequentItems;
  const actionCount = model.vocabularies.actions.size;
  const items = model.vocabularies.items;
  // Per distinct item of a history (its itemKey, 1..length): merged score and the step of its first
  // occurrence, whose id is read only if it makes the list. Reused across rows.
  const keyScores = new Float64Array(length + 1);
  const keySteps = new Int32Array(length + 1);
  const best = new Int32Array(k);
  const bestScores = new Float64Array(k);
  const top = new TopK<ItemScore>(k);
  const topExplore = new TopK<number>(k);
  // Row b marks its history's frequent items with firstStamp + b. A fresh array per call cost
  // 10 to 15 µs at 20,000 frequent items and 50 to 75 at 100,000, a micro-batch's fixed cost.
  const seen = frequentItemStamps(items);
  const firstStamp = seen.next;
  seen.next += histories.length;
  const inRow = seen.stamps;
  return histories.map((history, b) => {
    const rowStamp = firstStamp + b;
    const gate = outputs.gate[b] as number;
    const logZ = outputs.logNormalizer[b] as number;
    const kept = Math.min(history.length, length);
    const padding = length - kept;
    keyScores.fill(0);
    let distinct = 0;
    for (let j = 0; j < kept; j++) {
      const at = b * length + padding + j;
      const key = batch.itemKeys[at] as number;
      if (key > distinct) {
        distinct = key;
        keySteps[key] = history.from + history.length - kept + j;
      }
      keyScores[key] = (keyScores[key] as number) + gate * (outputs.attention[at] as number);
      const index = batch.items[at] as number;
      if (index <= frequentItems && inRow[index] !== rowStamp) {
        inRow[index] = rowStamp;
        const column = exploreColumn(index, shortlist);
        const explore =
          column >= 0
            ? (outputs.exploreScale[b] as number) *
              (outputs.exploreShares[b * exploreWidth + column] as number)
            : Math.exp((outputs.historyLogits[at] as number) - logZ);
        keyScores[key] = (keyScores[key] as number) + (1 - gate) * explore;
      }
    }
    // History items first, in order of first appearance, then explore items best first: ties keep that order.
    top.reset();
    const selected = bestKeys(keyScores, distinct, k, best, bestScores);
    for (let i = 0; i < selected; i++) {
      const score = bestScores[i] as number;
      top.offer({ itemId: history.columns.itemId(keySteps[best[i] as number] as number), score }, score);
    }
    // The history's items have their explore share above: the k best of the others can make the list.
    const inHistory = (n: number) => inRow[exploreItemIndex(n, shortlist)] === rowStamp;
    const perShare = (1 - gate) * (outputs.exploreScale[b] as number);
    for (const n of topIndexes(
      outputs.exploreShares,
      b * exploreWidth,
      exploreWidth,
      topExplore,
      inHistory,
      exploreLimits(top, perShare, shortlist, outputs.exploreBounds, b),
    )) {
      const itemId = items.valueAt(exploreItemIndex(n, shortlist)) as string;
      const score = perShare * (outputs.exploreShares[b * exploreWidth + n] as number);
      top.offer({ itemId, score }, score);
    }
    // Copied in a loop: Array.from over a subarray goes through the iterator protocol, about
    // 0.7 µs an event against a few dozen ns.
    const nextAction = new Array<number>(actionCount);
    for (let a = 0; a < actionCount; a++) nextAction[a] = outputs.actions[b * actionCount + a] as number;
    return {
      nextAction,
      churn: outputs.churn[b] as number,
      nextItems: top.entries,
    };
  });
}

/**
 * Relative margin under the share that would tie the list's k-th score: an explore item that close
 * to it is still read, and its score, computed as the merge computes it, decides.
 */
const FLOOR_SLACK = 1e-9;

/**
 * Which explore shares of row b can still make `top`, filled with the history's items: a share
 * scores perShare times itself, so once k items are in, only shares above the k-th score's can;
 * and with a shortlist's bounds, the scan ends where no later share can beat its floor. With both,
 * the explore head's items are seldom read when the history's repeat scores are well above them.
 */
function exploreLimits(
  top: TopK<ItemScore>,
  perShare: number,
  shortlist: ExploreShortlist | undefined,
  bounds: ShareBounds | undefined,
  b: number,
): ScanLimits {
  const floor =
    top.entries.length === top.k && perShare > 0
      ? (top.lowest() / perShare) * (1 - FLOOR_SLACK)
      : Number.NEGATIVE_INFINITY;
  if (!shortlist || !bounds) return { floor };
  const queryNorm = bounds.queryNorm[b] as number;
  const logHead = bounds.logHead[b] as number;
  return { floor, logBoundFrom: (column) => shortlist.logShareBound(column, queryNorm, logHead) };
}

/** Scores histories with one forward pass over every step and reads the heads at each last step. */
export function predictLast(
  model: SequenceModel,
  histories: readonly (readonly SequenceEvent[])[],
  k: number,
  shortlist?: ExploreShortlist,
): Prediction[] {
  const { maxLength } = model.config;
  const steps = histories.map((history) => eventSteps(history, model.vocabularies, maxLength));
  return predictLastOfSteps(model, steps, k, shortlist);
}

/** predictLast for histories already in steps. */
export function predictLastOfSteps(
  model: SequenceModel,
  histories: readonly HistorySteps[],
  k: number,
  shortlist?: ExploreShortlist,
): Prediction[] {
  if (histories.length === 0) return [];
  const batch = encodeHistories(histories, model.vocabularies, model.config.maxLength);
  const { batchSize, length } = batch;
  const inputs = tf.tidy(() => {
    const steps = model.steps(batchTensors(batch));
    const lastOf = (t: tf.Tensor3D) =>
      tf.squeeze(tf.slice(t, [0, length - 1, 0], [batchSize, 1, t.shape[2]]), [1]) as tf.Tensor2D;
    return { states: lastOf(steps.states), query: lastOf(steps.query), keys: steps.keys };
  });
  try {
    return readHeads(model, inputs, batch, histories, k, shortlist);
  } finally {
    tf.dispose(inputs);
  }
}
