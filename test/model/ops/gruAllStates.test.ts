import * as tf from '@tensorflow/tfjs';
import { describe, it } from 'vitest';
import { initBackend } from '../../../src/model/backend.js';
import { recurrentStep } from '../../../src/model/encoders.js';
import { gruAllStates } from '../../../src/model/ops/gruAllStates.js';
import type { Params } from '../../../src/model/params.js';
import { expectAllClose } from '../../helpers/allClose.js';

const [BATCH, STEPS, UNITS] = [4, 7, 6];

// Left padding as the encoder makes it: row r has its first r steps masked.
function leftPaddedMask(): tf.Tensor2D {
  return tf.tensor2d(
    Array.from({ length: BATCH * STEPS }, (_, i) => (i % STEPS >= Math.floor(i / STEPS) ? 1 : 0)),
    [BATCH, STEPS],
  );
}

/** The per-step graph that autodiff differentiates: encoders.recurrentStep plus the padding rule. */
function referenceStates(projected: tf.Tensor3D, mask: tf.Tensor2D, params: Params): tf.Tensor3D {
  const steps = tf.unstack(projected, 1) as tf.Tensor2D[];
  const masks = tf.unstack(tf.expandDims(mask, 2), 1) as tf.Tensor2D[];
  let h = tf.zeros([BATCH, UNITS]) as tf.Tensor2D;
  const states: tf.Tensor2D[] = [];
  steps.forEach((x, t) => {
    const next = recurrentStep('gru', params, x, { h }).h;
    h = tf.add(h, tf.mul(masks[t] as tf.Tensor2D, tf.sub(next, h))) as tf.Tensor2D;
    states.push(h);
  });
  return tf.stack(states, 1) as tf.Tensor3D;
}

describe.each(['cpu', 'wasm'] as const)('gruAllStates on %s', (backend) => {
  it('matches autodiff of the per-step GRU in every state and every gradient', async () => {
    await initBackend(backend, 'training');
    const wh = tf.randomNormal([UNITS, 3 * UNITS], 0, 0.5, 'float32', 1) as tf.Tensor2D;
    const bh = tf.randomNormal([3 * UNITS], 0, 0.5, 'float32', 2) as tf.Tensor1D;
    const projected = tf.randomNormal([BATCH, STEPS, 3 * UNITS], 0, 1, 'float32', 3) as tf.Tensor3D;
    // Every step's state gets its own upstream gradient, as the per-step heads give it in training.
    const upstream = tf.randomNormal([BATCH, STEPS, UNITS], 0, 1, 'float32', 4);
    const mask = leftPaddedMask();

    const reference = (x: tf.Tensor, k: tf.Tensor, b: tf.Tensor) => {
      // recurrentStep reads its weights by name; these are the differentiated tensors themselves.
      const weights: Record<string, tf.Tensor> = { 'enc.wh': k, 'enc.bh': b };
      const params = { get: (name: string) => weights[name] } as unknown as Params;
      return tf.sum(tf.mul(referenceStates(x as tf.Tensor3D, mask, params), upstream));
    };
    const fused = (x: tf.Tensor, k: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(gruAllStates(x as tf.Tensor3D, mask, k as tf.Tensor2D, b as tf.Tensor1D), upstream));

    const want = tf.valueAndGrads(reference)([projected, wh, bh]);
    const got = tf.valueAndGrads(fused)([projected, wh, bh]);
    expectAllClose(await got.value.data(), await want.value.data());
    for (const [i, grad] of got.grads.entries()) {
      expectAllClose(await grad.data(), await (want.grads[i] as tf.Tensor).data());
    }
  });

  it('leaves the state unchanged through masked steps', async () => {
    await initBackend(backend, 'training');
    const wh = tf.randomNormal([UNITS, 3 * UNITS], 0, 0.5, 'float32', 5) as tf.Tensor2D;
    const bh = tf.randomNormal([3 * UNITS], 0, 0.5, 'float32', 6) as tf.Tensor1D;
    const projected = tf.randomNormal([BATCH, STEPS, 3 * UNITS], 0, 1, 'float32', 7) as tf.Tensor3D;
    const states = gruAllStates(projected, leftPaddedMask(), wh, bh);
    // Row 3's first three steps are padding: its state stays the zero start through them.
    const padded = states.slice([3, 0, 0], [1, 3, UNITS]);
    expectAllClose(await padded.data(), new Float32Array(3 * UNITS));
  });
});
