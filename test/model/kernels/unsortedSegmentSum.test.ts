import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/model/backend.js';
import { segmentSumRows } from '../../../src/model/kernels/unsortedSegmentSum.js';
import { expectAllClose } from '../../helpers/allClose.js';

/** Segment sum through independent kernels: a one-hot matrix product. */
function reference(x: tf.Tensor2D, ids: tf.Tensor1D, numSegments: number): tf.Tensor2D {
  return tf.matMul(tf.oneHot(ids, numSegments), x, true, false);
}

function randomIds(count: number, numSegments: number, seed: number): tf.Tensor1D {
  return tf.randomUniform([count], 0, numSegments, 'int32', seed) as tf.Tensor1D;
}

describe('segmentSumRows', () => {
  it('adds rows into their segments and skips ids out of range', () => {
    const out = new Float32Array(6);
    segmentSumRows(
      Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]),
      Int32Array.from([2, 0, 2, -1, 3]),
      2,
      out,
    );
    expect([...out]).toEqual([3, 4, 0, 0, 1 + 5, 2 + 6]);
  });
});

describe.each(['cpu', 'wasm'] as const)('UnsortedSegmentSum on %s', (backend) => {
  it('matches a one-hot product on random inputs', async () => {
    await initBackend(backend, 'training');
    const x = tf.randomNormal([300, 7], 0, 1, 'float32', 11) as tf.Tensor2D;
    const ids = randomIds(300, 40, 12);
    const got = tf.unsortedSegmentSum(x, ids, 40);
    expect(tf.getBackend()).toBe(backend);
    expect(got.shape).toEqual([40, 7]);
    expectAllClose(await got.data(), await reference(x, ids, 40).data());
  });

  it('keeps int32 values and higher-rank rows', async () => {
    await initBackend(backend, 'training');
    const x = tf.range(0, 24, 1, 'int32').reshape([4, 3, 2]);
    const got = tf.unsortedSegmentSum(x, tf.tensor1d([1, 1, 0, 5], 'int32'), 3);
    expect(got.dtype).toBe('int32');
    expect(got.shape).toEqual([3, 3, 2]);
    expect(await got.array()).toEqual([
      [
        [12, 13],
        [14, 15],
        [16, 17],
      ],
      [
        [6, 8],
        [10, 12],
        [14, 16],
      ],
      [
        [0, 0],
        [0, 0],
        [0, 0],
      ],
    ]);
  });

  it('gives an embedding lookup the gradient of the one-hot form', async () => {
    await initBackend(backend, 'training');
    const table = tf.randomNormal([50, 6], 0, 1, 'float32', 21) as tf.Tensor2D;
    const ids = randomIds(128, 50, 22);
    const upstream = tf.randomNormal([128, 6], 0, 1, 'float32', 23) as tf.Tensor2D;
    const viaGather = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, ids), upstream)))(table);
    expectAllClose(await viaGather.data(), await reference(upstream, ids, 50).data());
  });
});
