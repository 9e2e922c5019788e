import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/model/backend.js';
import { FusedGru } from '../../../src/model/layers/fusedGru.js';
import { expectAllClose } from '../../helpers/allClose.js';

/** ids -> masked embedding -> GRU, as the models use it; the embedding's mask reaches the GRU. */
function model(gru: tf.layers.Layer): tf.LayersModel {
  const ids = tf.input({ shape: [null], dtype: 'int32' });
  const embedded = tf.layers
    .embedding({
      inputDim: 9,
      outputDim: 3,
      maskZero: true,
      embeddingsInitializer: tf.initializers.randomUniform({ minval: -1, maxval: 1, seed: 1 }),
    })
    .apply(ids) as tf.SymbolicTensor;
  return tf.model({ inputs: ids, outputs: gru.apply(embedded) as tf.SymbolicTensor });
}

beforeAll(async () => {
  await initBackend('cpu', 'training');
});

describe('FusedGru layer', () => {
  it('computes what tf.layers.gru computes with the same weights, padding and gradients included', async () => {
    const fused = model(new FusedGru({ units: 4 }));
    const reference = model(tf.layers.gru({ units: 4, recurrentActivation: 'sigmoid' }));
    reference.setWeights(fused.getWeights());
    const ids = tf.tensor2d(
      [
        [0, 0, 3, 1, 8],
        [2, 7, 7, 1, 5],
      ],
      [2, 5],
      'int32',
    );
    const loss = (m: tf.LayersModel) => () =>
      tf.sum(tf.square(m.apply(ids, { training: true }) as tf.Tensor)) as tf.Scalar;
    const got = tf.variableGrads(loss(fused));
    const want = tf.variableGrads(loss(reference));
    expectAllClose(await got.value.data(), await want.value.data());
    const gotGrads = fused.trainableWeights.map((w) => got.grads[w.originalName]);
    const wantGrads = reference.trainableWeights.map((w) => want.grads[w.originalName]);
    expect(gotGrads).toHaveLength(4);
    for (const [i, grad] of gotGrads.entries()) {
      expectAllClose(await (grad as tf.Tensor).data(), await (wantGrads[i] as tf.Tensor).data());
    }
  });

  it('survives a save and load through the layers format', async () => {
    const original = model(new FusedGru({ units: 4 }));
    let artifacts: tf.io.ModelArtifacts | undefined;
    await original.save(
      tf.io.withSaveHandler(async (a) => {
        artifacts = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts as tf.io.ModelArtifacts));
    const ids = tf.tensor2d([[0, 4, 2, 6]], [1, 4], 'int32');
    expectAllClose(
      await (loaded.predict(ids) as tf.Tensor).data(),
      await (original.predict(ids) as tf.Tensor).data(),
      1e-6,
    );
  });
});
