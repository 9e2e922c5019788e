import * as tf from '@tensorflow/tfjs';
import { encodeSequences, type SequenceEvent } from '../features/sequenceEncoding.js';
import { repeatCandidates } from './repeatCandidates.js';
import { batchTensors, type SequenceModel } from './sequenceModel.js';

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

/**
 * Scores histories with one forward pass and reads the heads at each history's last step. Next items
 * merge the two item heads: each history item gets the gate's share of its repeat attention, and the
 * most likely vocabulary items get the rest in proportion to the explore softmax. Hashed (rare) ids
 * take part through the repeat head only, since a bucket's probability belongs to no single item.
 */
export function predictLast(
  model: SequenceModel,
  histories: readonly (readonly SequenceEvent[])[],
  k: number,
): Prediction[] {
  if (histories.length === 0) return [];
  const batch = encodeSequences(histories, model.vocabularies, model.config.maxLength);
  const { batchSize, length } = batch;
  const last = length - 1;
  const candidates = repeatCandidates(batch, true);
  const frequentItems = model.vocabularies.items.frequent.length;
  const vocabularySize = model.vocabularies.items.size;
  const windowIndexes = Int32Array.from(
    batch.items,
    (index, at) => Math.floor(at / length) * vocabularySize + index,
  );
  const exploreCandidates = Math.min(frequentItems, k + length);
  const outputs = tf.tidy(() => {
    const inputs = batchTensors(batch);
    const steps = model.steps(inputs);
    const lastOf = (t: tf.Tensor3D) =>
      tf.squeeze(tf.slice(t, [0, last, 0], [batchSize, 1, t.shape[2]]), [1]) as tf.Tensor2D;
    const states = lastOf(steps.states);
    const query = lastOf(steps.query);
    const asSteps = (t: tf.Tensor2D) => tf.expandDims(t, 1) as tf.Tensor3D;
    const attention = tf.squeeze(tf.softmax(model.repeatLogits(asSteps(query), steps.keys, candidates)), [1]);
    const explore = tf.softmax(model.exploreLogits(query));
    // Only frequent ids (1..F) name one item each; skip padding (0) and the hashed buckets. A model
    // whose vocabulary has no frequent item at all ranks by the repeat head alone.
    const top =
      exploreCandidates > 0
        ? tf.topk(tf.slice(explore, [0, 1], [batchSize, frequentItems]), exploreCandidates)
        : { values: tf.zeros([batchSize, 0]), indices: tf.zeros([batchSize, 0], 'int32') };
    return {
      actions: tf.softmax(tf.squeeze(model.actionLogits(asSteps(states)), [1])).dataSync() as Float32Array,
      churn: tf
        .sigmoid(tf.squeeze(model.scalarHead(asSteps(states), 'churn'), [1]))
        .dataSync() as Float32Array,
      gate: tf.sigmoid(tf.squeeze(model.scalarHead(asSteps(states), 'gate'), [1])).dataSync() as Float32Array,
      attention: attention.dataSync() as Float32Array,
      // A flat gather: WASM's batched gather (batchDims=1) reads out of bounds in tfjs 4.22.
      windowExplore: tf
        .gather(tf.reshape(explore, [-1]), tf.tensor1d(windowIndexes, 'int32'))
        .dataSync() as Float32Array,
      topValues: top.values.dataSync() as Float32Array,
      topIndexes: top.indices.dataSync() as Int32Array,
    };
  });
  const actionCount = model.vocabularies.actions.size;
  return histories.map((history, b) => {
    const gate = process.env.GATE ? Number(process.env.GATE) : (outputs.gate[b] as number);
    const scores = new Map<string, number>();
    const add = (itemId: string, value: number) => scores.set(itemId, (scores.get(itemId) ?? 0) + value);
    const kept = Math.min(history.length, model.config.maxLength);
    const padding = length - kept;
    const frequentSeen = new Set<string>();
    for (let j = 0; j < kept; j++) {
      const event = history[history.length - kept + j] as SequenceEvent;
      const at = b * length + padding + j;
      add(event.itemId, gate * (outputs.attention[at] as number));
      const index = model.vocabularies.items.indexOf(event.itemId);
      if (index <= frequentItems && !frequentSeen.has(event.itemId)) {
        frequentSeen.add(event.itemId);
        add(event.itemId, (1 - gate) * (outputs.windowExplore[at] as number));
      }
    }
    for (let n = 0; n < exploreCandidates; n++) {
      const itemId = model.vocabularies.items.valueAt(
        (outputs.topIndexes[b * exploreCandidates + n] as number) + 1,
      );
      if (itemId === undefined || frequentSeen.has(itemId)) continue;
      add(itemId, (1 - gate) * (outputs.topValues[b * exploreCandidates + n] as number));
    }
    const nextItems = [...scores.entries()]
      .sort((x, y) => y[1] - x[1])
      .slice(0, k)
      .map(([itemId, score]) => ({ itemId, score }));
    return {
      nextAction: Array.from(outputs.actions.subarray(b * actionCount, (b + 1) * actionCount)),
      churn: outputs.churn[b] as number,
      nextItems,
    };
  });
}
