import * as tf from '@tensorflow/tfjs';
import { createAdam } from '../src/model/adam.js';
import { sparseSoftmaxCrossEntropy } from '../src/model/ops/sparseSoftmaxCrossEntropy.js';
import type { BenchModel } from './benchModel.js';
import { lcg } from './workload.js';

/** One batch of training examples; label tensors are per sequence. */
export interface TrainBatch {
  items: tf.Tensor2D;
  actions: tf.Tensor2D;
  gaps: tf.Tensor3D;
  nextAction: tf.Tensor1D;
  churn: tf.Tensor2D;
  nextItem: tf.Tensor1D;
}

/**
 * How the next-item head is trained. 'full': softmax over the whole vocabulary (the reference).
 * 'sampled': over the batch's positives plus `negatives` items drawn uniformly, shared by the batch.
 * 'inBatch': over the batch's own positives only.
 */
export type ItemLoss = { kind: 'full' } | { kind: 'sampled'; negatives: number } | { kind: 'inBatch' };

function candidateItems(
  loss: ItemLoss,
  positives: tf.Tensor1D,
  items: number,
  next: () => number,
): tf.Tensor1D {
  if (loss.kind !== 'sampled') return positives;
  const sampled = Int32Array.from({ length: loss.negatives }, () => 1 + Math.floor(next() * (items - 1)));
  return tf.concat([positives, tf.tensor1d(sampled, 'int32')]) as tf.Tensor1D;
}

/** Sum of the three heads' mean losses, computed with the gradient tape running. */
function totalLoss(model: BenchModel, batch: TrainBatch, itemLoss: ItemLoss, next: () => number): tf.Scalar {
  const inputs = [batch.items, batch.actions, batch.gaps];
  let action: tf.Tensor2D;
  let churn: tf.Tensor2D;
  let itemTerm: tf.Scalar;
  if (itemLoss.kind === 'full') {
    let logits: tf.Tensor2D;
    [action, churn, logits] = model.training.apply(inputs, { training: true }) as tf.Tensor2D[] as [
      tf.Tensor2D,
      tf.Tensor2D,
      tf.Tensor2D,
    ];
    itemTerm = sparseSoftmaxCrossEntropy(batch.nextItem, logits);
  } else {
    const state = model.encoder.apply(inputs, { training: true }) as tf.Tensor2D;
    action = model.layers.nextAction.apply(state) as tf.Tensor2D;
    churn = model.layers.churn.apply(state) as tf.Tensor2D;
    const candidates = candidateItems(itemLoss, batch.nextItem, model.spec.items, next);
    // Row i's positive is candidate i. A positive that recurs as another row's candidate counts as
    // a negative there too (the usual in-batch simplification).
    const logits = model.itemHead.candidateLogits(state, candidates);
    itemTerm = sparseSoftmaxCrossEntropy(tf.range(0, state.shape[0], 1, 'int32') as tf.Tensor1D, logits);
  }
  const actionLoss = tf.mean(
    tf.metrics.categoricalCrossentropy(tf.oneHot(batch.nextAction, model.spec.actions), action),
  );
  const churnLoss = tf.mean(tf.metrics.binaryCrossentropy(batch.churn, churn));
  return tf.addN([actionLoss, churnLoss, itemTerm]) as tf.Scalar;
}

export function createTrainer(
  model: BenchModel,
  options: { learningRate?: number; itemLoss?: ItemLoss; seed?: number } = {},
): (batch: TrainBatch) => number {
  const optimizer = createAdam(options.learningRate ?? 0.002);
  const itemLoss = options.itemLoss ?? { kind: 'full' };
  const next = lcg(options.seed ?? 7);
  const variables = model.training.trainableWeights.map((weight) => weight.read() as tf.Variable);
  return (batch) => {
    const cost = optimizer.minimize(
      () => totalLoss(model, batch, itemLoss, next),
      true,
      variables,
    ) as tf.Scalar;
    const value = cost.dataSync()[0] as number;
    cost.dispose();
    return value;
  };
}
