import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/model/backend.js';
import { softmaxCrossEntropyRows } from '../../../src/model/kernels/sparseSoftmaxCrossEntropy.js';
import { sparseSoftmaxCrossEntropy } from '../../../src/model/ops/sparseSoftmaxCrossEntropy.js';
import { expectAllClose } from '../../helpers/allClose.js';

describe('softmaxCrossEntropyRows', () => {
  it('gives -log softmax at the label and softmax minus one-hot, and NaN for a label out of range', () => {
    const loss = new Float32Array(2);
    const gradient = new Float32Array(4);
    softmaxCrossEntropyRows(
      Float32Array.from([0, Math.log(3), 5, 5]),
      Int32Array.from([1, 2]),
      2,
      loss,
      gradient,
    );
    expectAllClose([loss[0] as number], [Math.log(4 / 3)], 1e-6);
    expectAllClose(gradient.subarray(0, 2), [0.25, 0.75 - 1], 1e-6);
    expect(loss[1]).toBeNaN();
    expectAllClose(gradient.subarray(2), [0.5, 0.5], 1e-6);
  });
});

// 'node' runs libtensorflow's own fused kernel where tfjs-node is installed, and is skipped elsewhere.
describe.each(['cpu', 'wasm', 'node'] as const)('sparseSoftmaxCrossEntropy on %s', (backend) => {
  it('matches tf.losses.softmaxCrossEntropy with one-hot labels, in value and gradient', async (context) => {
    const started = await initBackend(backend, 'training').catch(() => null);
    if (!started) return context.skip();
    const logits = tf.randomNormal([16, 300], 0, 3, 'float32', 41) as tf.Tensor2D;
    const labels = tf.randomUniform([16], 0, 300, 'int32', 42) as tf.Tensor1D;
    const reference = (x: tf.Tensor) => tf.losses.softmaxCrossEntropy(tf.oneHot(labels, 300), x);
    const fused = (x: tf.Tensor) => sparseSoftmaxCrossEntropy(labels, x as tf.Tensor2D);
    const want = tf.valueAndGrad(reference)(logits);
    const got = tf.valueAndGrad(fused)(logits);
    expect(tf.getBackend()).toBe(backend === 'node' ? 'tensorflow' : backend);
    expectAllClose(await got.value.data(), await want.value.data());
    expectAllClose(await got.grad.data(), await want.grad.data(), 1e-6);
  });
});
