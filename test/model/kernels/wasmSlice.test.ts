import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { countingTensor, onBoth } from '../../helpers/wasmReference.js';

describe('WASM slices read in place', () => {
  it('slice, unstack and split give what the reference backend gives', async () => {
    const { wasm, cpu } = await onBoth(() => {
      const x = countingTensor([3, 4, 5]);
      return {
        inner: tf.slice(x, [1, 1, 2], [2, 3, 2]).arraySync(),
        toEnd: tf.slice(x, [0, 2, 0], [-1, -1, 3]).arraySync(),
        rank1: tf.slice(countingTensor([7], 0, 'int32'), [2], [3]).arraySync(),
        rank4: tf.slice(countingTensor([2, 3, 2, 2]), [1, 1, 0, 1], [1, 2, 2, 1]).arraySync(),
        unstacked: tf.unstack(x, 1).map((t) => t.arraySync()),
        split: tf.split(countingTensor([2, 9], 0, 'int32'), [2, 3, 4], 1).map((t) => t.arraySync()),
        splitEven: tf.split(x, 3, 0).map((t) => t.shape),
      };
    });
    expect(wasm).toEqual(cpu);
  });
});
