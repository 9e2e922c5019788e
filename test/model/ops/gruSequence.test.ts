import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/model/backend.js';
import { hasGruBlockCell } from '../../../src/model/kernels/gruBlockCell.js';
import { gruLastState } from '../../../src/model/ops/gruSequence.js';
import { expectAllClose } from '../../helpers/allClose.js';

const [BATCH, STEPS, FEATURES, UNITS] = [4, 7, 5, 6];
// Left padding as the encoder makes it: row r has its first r steps masked.
function leftPaddedMask(): tf.Tensor2D {
  return tf.tensor2d(
    Array.from({ length: BATCH * STEPS }, (_, i) => (i % STEPS >= Math.floor(i / STEPS) ? 1 : 0)),
    [BATCH, STEPS],
  );
}

// 'node' runs libtensorflow's fused GRU cell where tfjs-node is installed, and is skipped elsewhere.
describe.each(['cpu', 'wasm', 'node'] as const)('gruLastState on %s', (backend) => {
  const masks: [string, () => tf.Tensor2D][] = [
    ['left padding', leftPaddedMask],
    ['no padding', () => tf.ones([BATCH, STEPS]) as tf.Tensor2D],
  ];
  for (const [padding, makeMask] of masks) {
    it(`matches tf.layers.gru (sigmoid gates) in value and in every gradient, with ${padding}`, async (context) => {
      const started = await initBackend(backend, 'training').catch(() => null);
      if (!started) return context.skip();
      expect(hasGruBlockCell()).toBe(backend === 'node');
      const layer = tf.layers.gru({
        units: UNITS,
        recurrentActivation: 'sigmoid',
        kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
        recurrentInitializer: tf.initializers.glorotUniform({ seed: 2 }),
        biasInitializer: tf.initializers.randomUniform({ minval: -0.5, maxval: 0.5, seed: 3 }),
      });
      const x = tf.randomNormal([BATCH, STEPS, FEATURES], 0, 1, 'float32', 4) as tf.Tensor3D;
      const upstream = tf.randomNormal([BATCH, UNITS], 0, 1, 'float32', 5);
      const stepMask = makeMask();
      const mask = stepMask.cast('bool');
      layer.apply(x, { mask });
      const [kernel, recurrentKernel, bias] = layer.getWeights() as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D];

      const reference = (input: tf.Tensor) =>
        tf.sum(tf.mul(layer.apply(input, { mask }) as tf.Tensor, upstream));
      const { value: wantValue, grads: wantWeightGrads } = tf.variableGrads(() => reference(x) as tf.Scalar);
      const wantInputGrad = tf.grad(reference)(x);

      const fused = (input: tf.Tensor, k: tf.Tensor, rk: tf.Tensor, b: tf.Tensor) =>
        tf.sum(
          tf.mul(
            gruLastState(input as tf.Tensor3D, stepMask, {
              kernel: k as tf.Tensor2D,
              recurrentKernel: rk as tf.Tensor2D,
              bias: b as tf.Tensor1D,
            }),
            upstream,
          ),
        );
      const { value: gotValue, grads: gotGrads } = tf.valueAndGrads(fused)([
        x,
        kernel,
        recurrentKernel,
        bias,
      ]);

      expectAllClose(await gotValue.data(), await wantValue.data());
      expectAllClose(await (gotGrads[0] as tf.Tensor).data(), await wantInputGrad.data());
      const weightNames = layer.trainableWeights.map((weight) => weight.originalName);
      expect(weightNames).toHaveLength(3);
      for (const [i, name] of weightNames.entries()) {
        expectAllClose(
          await (gotGrads[i + 1] as tf.Tensor).data(),
          await (wantWeightGrads[name] as tf.Tensor).data(),
        );
      }
    });
  }

  it('leaves the state unchanged through masked steps and frees its intermediates', async (context) => {
    const started = await initBackend(backend, 'training').catch(() => null);
    if (!started) return context.skip();
    const weights = {
      kernel: tf.randomNormal([FEATURES, 3 * UNITS], 0, 1, 'float32', 6) as tf.Tensor2D,
      recurrentKernel: tf.randomNormal([UNITS, 3 * UNITS], 0, 1, 'float32', 7) as tf.Tensor2D,
      bias: tf.randomNormal([3 * UNITS], 0, 1, 'float32', 8) as tf.Tensor1D,
    };
    const x = tf.randomNormal([1, STEPS, FEATURES], 0, 1, 'float32', 9) as tf.Tensor3D;
    const noPadding = tf.ones([1, STEPS]) as tf.Tensor2D;
    const threePadded = tf.tensor2d([Array.from({ length: STEPS }, (_, t) => (t < 3 ? 0 : 1))]);
    const unpadded = x.slice([0, 3, 0], [1, STEPS - 3, FEATURES]);
    const unpaddedMask = tf.ones([1, STEPS - 3]) as tf.Tensor2D;
    const before = tf.memory().numTensors;
    const all = gruLastState(x, noPadding, weights);
    const tail = gruLastState(x, threePadded, weights);
    const unpaddedTail = gruLastState(unpadded, unpaddedMask, weights);
    expect(tf.memory().numTensors).toBe(before + 3);
    expectAllClose(await tail.data(), await unpaddedTail.data(), 1e-6);
    expect(Math.max(...(await tf.sub(all, tail).abs().data()))).toBeGreaterThan(1e-3);
  });
});
