import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { createAdam, NativeAdamOptimizer } from '../../src/model/adam.js';
import { initBackend } from '../../src/model/backend.js';
import { expectAllClose } from '../helpers/allClose.js';

/** A few steps of a small regression, some gradients near zero so that epsilon's placement shows. */
function train(optimizer: tf.Optimizer, restoreAfterStep?: number): Float32Array {
  const weights = tf.variable(tf.randomNormal([40, 3], 0, 1, 'float32', 1));
  const inputs = tf.randomNormal([16, 40], 0, 1, 'float32', 2);
  const targets = tf.randomNormal([16, 3], 0, 1, 'float32', 3);
  const start = weights.clone();
  for (let step = 1; step <= 6; step++) {
    optimizer.minimize(() => tf.mean(tf.square(tf.sub(tf.matMul(inputs, weights), targets))), false, [
      weights,
    ]);
    // A training loop that restores its best weights assigns the variable behind the optimizer's back.
    if (step === restoreAfterStep) weights.assign(start);
  }
  const values = weights.dataSync() as Float32Array;
  tf.dispose([weights, inputs, targets, start]);
  optimizer.dispose();
  return values;
}

// Runs where tfjs-node is installed, and is skipped elsewhere.
describe('NativeAdamOptimizer', () => {
  it('takes the same steps as tf.train.adam, also after the variable is assigned from outside', async (context) => {
    if (!(await initBackend('node', 'training').catch(() => null))) return context.skip();
    expect(createAdam(0.01)).toBeInstanceOf(NativeAdamOptimizer);
    for (const restoreAfterStep of [undefined, 3]) {
      const want = train(tf.train.adam(0.01), restoreAfterStep);
      const got = train(new NativeAdamOptimizer(0.01), restoreAfterStep);
      expectAllClose(got, want, 1e-5);
    }
  });
});
