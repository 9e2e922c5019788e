import * as tf from '@tensorflow/tfjs';
import { SPARSE_SOFTMAX_CROSS_ENTROPY } from '../kernels/sparseSoftmaxCrossEntropy.js';

/**
 * Mean cross-entropy of integer class labels against logits, for large vocabularies (the 50k-item
 * head): one fused kernel computes every row's loss and its gradient together, and labels are never
 * expanded to one-hot rows. tf.losses.softmaxCrossEntropy takes about ten passes over
 * [batch, vocabulary] plus a one-hot input of the same size.
 */
export function sparseSoftmaxCrossEntropy(labels: tf.Tensor1D, logits: tf.Tensor2D): tf.Scalar {
  const run = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const input = args[0] as tf.Tensor2D;
    const save = args[1] as tf.GradSaveFunc;
    const batch = input.shape[0];
    const [loss, gradient] = tf
      .engine()
      .runKernel(SPARSE_SOFTMAX_CROSS_ENTROPY, { logits: input, labels }, {}) as tf.Tensor[];
    save([gradient as tf.Tensor]);
    return {
      value: tf.div(tf.sum(loss as tf.Tensor), batch) as tf.Scalar,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(saved[0] as tf.Tensor, tf.div(dy, batch)),
    };
  });
  return run(logits) as tf.Scalar;
}
