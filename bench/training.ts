import * as tf from '@tensorflow/tfjs';
import { sparseSoftmaxCrossEntropy } from '../src/model/ops/sparseSoftmaxCrossEntropy.js';
import type { BenchModel } from './benchModel.js';

/** One batch of training examples; label tensors are per sequence. */
export interface TrainBatch {
  items: tf.Tensor2D;
  actions: tf.Tensor2D;
  gaps: tf.Tensor3D;
  nextAction: tf.Tensor1D;
  churn: tf.Tensor2D;
  nextItem: tf.Tensor1D;
}

/** Sum of the three heads' mean losses, computed with the gradient tape running. */
function totalLoss(model: BenchModel, batch: TrainBatch): tf.Scalar {
  const [action, churn, itemLogits] = model.training.apply([batch.items, batch.actions, batch.gaps], {
    training: true,
  }) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
  const actionLoss = tf.mean(
    tf.metrics.categoricalCrossentropy(tf.oneHot(batch.nextAction, model.spec.actions), action),
  );
  const churnLoss = tf.mean(tf.metrics.binaryCrossentropy(batch.churn, churn));
  const itemLoss = sparseSoftmaxCrossEntropy(batch.nextItem, itemLogits);
  return tf.addN([actionLoss, churnLoss, itemLoss]) as tf.Scalar;
}

export function createTrainer(model: BenchModel, learningRate = 0.002): (batch: TrainBatch) => number {
  const optimizer = tf.train.adam(learningRate);
  const variables = model.training.trainableWeights.map((weight) => weight.read() as tf.Variable);
  return (batch) => {
    const cost = optimizer.minimize(() => totalLoss(model, batch), true, variables) as tf.Scalar;
    const value = cost.dataSync()[0] as number;
    cost.dispose();
    return value;
  };
}
