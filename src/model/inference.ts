import * as tf from '@tensorflow/tfjs';
import { type EncodedBatch, encodeSequences, type SequenceEvent } from '../features/sequenceEncoding.js';
import type { ExploreShortlist } from './exploreShortlist.js';
import { repeatCandidates } from './repeatCandidates.js';
import { batchTensors, type SequenceModel } from './sequenceModel.js';
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

/** Indexes of the k largest values of row (values[from .. from + width)), best first. */
function topIndexes(values: Float32Array, from: number, width: number, k: number): number[] {
  const best: number[] = [];
  let floor = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < width; i++) {
    const value = values[from + i] as number;
    if (best.length === k && value <= floor) continue;
    let position = best.length;
    while (position > 0 && (values[from + (best[position - 1] as number)] as number) < value) position--;
    best.splice(position, 0, i);
    if (best.length > k) best.pop();
    floor = values[from + (best[best.length - 1] as number)] as number;
  }
  return best;
}

/**
 * Reads the heads for scored events. Next items merge the two item heads: each history item gets
 * the gate's share of its repeat attention, and the most likely vocabulary items get the rest in
 * proportion to the explore softmax. Hashed (rare) ids take part through the repeat head only,
 * since a bucket's probability belongs to no single item. The explore softmax is read on the
 * shortlist (see exploreShortlist.ts) instead of the whole vocabulary when one is given.
 */
export function readHeads(
  model: SequenceModel,
  inputs: HeadInputs,
  batch: EncodedBatch,
  histories: readonly (readonly SequenceEvent[])[],
  k: number,
  shortlist?: ExploreShortlist,
): Prediction[] {
  const { batchSize, length } = batch;
  const frequentItems = model.vocabularies.items.frequent.length;
  const candidates = repeatCandidates(batch, true);
  const exploreWidth = shortlist ? shortlist.size : frequentItems;
  const exploreCandidates = Math.min(exploreWidth, k + length);
  const outputs = tidyRead(() => {
    const asSteps = (t: tf.Tensor2D) => tf.expandDims(t, 1) as tf.Tensor3D;
    const states = asSteps(inputs.states);
    const attention = tf.squeeze(
      tf.softmax(model.repeatLogits(asSteps(inputs.query), inputs.keys, candidates)),
      [1],
    );
    // Explore logits of the history's own items, then of the candidates for the top of the list.
    const itemEmbeddings = tf.gather(
      model.params.get('emb.item'),
      tf.tensor2d(batch.items, [batchSize, length], 'int32'),
    );
    const historyLogits = tf.add(
      tf.squeeze(tf.matMul(asSteps(inputs.query), itemEmbeddings, false, true), [1]),
      tf.gather(model.params.get('head.item.bias'), tf.tensor2d(batch.items, [batchSize, length], 'int32')),
    );
    let exploreLogits: tf.Tensor2D;
    let logNormalizer: tf.Tensor1D;
    if (shortlist) {
      exploreLogits = shortlist.logits(inputs.query);
      logNormalizer = shortlist.logNormalizer(inputs.query, exploreLogits);
    } else {
      const all = model.exploreLogits(inputs.query);
      exploreLogits = tf.slice(all, [0, 1], [batchSize, frequentItems]);
      logNormalizer = tf.logSumExp(all, 1);
    }
    return {
      actions: tf.softmax(tf.squeeze(model.actionLogits(states), [1])),
      churn: tf.sigmoid(tf.squeeze(model.scalarHead(states, 'churn'), [1])),
      gate: tf.sigmoid(tf.squeeze(model.scalarHead(states, 'gate'), [1])),
      attention,
      historyLogits,
      exploreLogits,
      logNormalizer,
    };
  });
  const actionCount = model.vocabularies.actions.size;
  const items = model.vocabularies.items;
  // Per distinct item of a history (its itemKey, 1..length): merged score and id. Reused across rows.
  const keyScores = new Float64Array(length + 1);
  const keyItems: string[] = new Array(length + 1);
  return histories.map((history, b) => {
    const gate = outputs.gate[b] as number;
    const logZ = outputs.logNormalizer[b] as number;
    const kept = Math.min(history.length, length);
    const padding = length - kept;
    keyScores.fill(0);
    let distinct = 0;
    const frequentSeen = new Set<number>();
    for (let j = 0; j < kept; j++) {
      const at = b * length + padding + j;
      const key = batch.itemKeys[at] as number;
      if (key > distinct) {
        distinct = key;
        keyItems[key] = (history[history.length - kept + j] as SequenceEvent).itemId;
      }
      keyScores[key] = (keyScores[key] as number) + gate * (outputs.attention[at] as number);
      const index = batch.items[at] as number;
      if (index <= frequentItems && !frequentSeen.has(index)) {
        frequentSeen.add(index);
        keyScores[key] =
          (keyScores[key] as number) + (1 - gate) * Math.exp((outputs.historyLogits[at] as number) - logZ);
      }
    }
    // History items first, in order of first appearance, then explore items best first: ties keep that order.
    const candidates: ItemScore[] = [];
    for (let key = 1; key <= distinct; key++) {
      candidates.push({ itemId: keyItems[key] as string, score: keyScores[key] as number });
    }
    for (const n of topIndexes(outputs.exploreLogits, b * exploreWidth, exploreWidth, exploreCandidates)) {
      const index = shortlist ? (shortlist.itemIndex(n) as number) : n + 1;
      const itemId = items.valueAt(index);
      if (itemId === undefined || frequentSeen.has(index)) continue;
      candidates.push({
        itemId,
        score: (1 - gate) * Math.exp((outputs.exploreLogits[b * exploreWidth + n] as number) - logZ),
      });
    }
    return {
      nextAction: Array.from(outputs.actions.subarray(b * actionCount, (b + 1) * actionCount)),
      churn: outputs.churn[b] as number,
      nextItems: candidates.sort((x, y) => y.score - x.score).slice(0, k),
    };
  });
}

/** Scores histories with one forward pass over every step and reads the heads at each last step. */
export function predictLast(
  model: SequenceModel,
  histories: readonly (readonly SequenceEvent[])[],
  k: number,
  shortlist?: ExploreShortlist,
): Prediction[] {
  if (histories.length === 0) return [];
  const batch = encodeSequences(histories, model.vocabularies, model.config.maxLength);
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
