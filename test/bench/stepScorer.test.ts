import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildBenchModel } from '../../bench/benchModel.js';
import { createStepScorer } from '../../bench/stepScorer.js';
import { randomTrainBatch } from '../../bench/workload.js';
import { initBackend } from '../../src/model/backend.js';
import { expectAllClose } from '../helpers/allClose.js';

const spec = {
  items: 30,
  actions: 4,
  itemDim: 6,
  actionDim: 3,
  hiddenUnits: 5,
  seed: 3,
  recurrent: 'fused' as const,
};

beforeAll(async () => {
  await initBackend('cpu', 'inference');
});

describe.each(['fused', 'layers'] as const)('incremental scoring with the %s GRU', (recurrent) => {
  it('gives after each event what the whole-sequence model gives for the history so far', async () => {
    const model = buildBenchModel({ ...spec, recurrent });
    const step = createStepScorer(model);
    const batch = randomTrainBatch(spec, 3, 6, 9);
    let state = tf.zeros([3, spec.hiddenUnits]) as tf.Tensor2D;
    for (let t = 0; t < 6; t++) {
      const out = step(state, {
        items: batch.items.slice([0, t], [3, 1]).reshape([3]),
        actions: batch.actions.slice([0, t], [3, 1]).reshape([3]),
        gaps: batch.gaps.slice([0, t, 0], [3, 1, 1]).reshape([3, 1]),
      });
      state = out.state;
      const [nextAction, churn] = model.scoring.predict([
        batch.items.slice([0, 0], [3, t + 1]),
        batch.actions.slice([0, 0], [3, t + 1]),
        batch.gaps.slice([0, 0, 0], [3, t + 1, 1]),
      ]) as tf.Tensor[];
      expectAllClose(await out.nextAction.data(), await (nextAction as tf.Tensor).data(), 1e-5);
      expectAllClose(await out.churn.data(), await (churn as tf.Tensor).data(), 1e-5);
    }
    expect(state.shape).toEqual([3, spec.hiddenUnits]);
  });
});
