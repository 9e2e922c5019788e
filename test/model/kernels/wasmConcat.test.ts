import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { countingTensor, onBoth } from '../../helpers/wasmReference.js';

describe('WASM concat copied in the heap', () => {
  it('gives what the reference backend gives, for every axis, short and long runs, empty parts and ints', async () => {
    const { wasm, cpu } = await onBoth(() => ({
      // A micro-batch's step inputs: five parts along the last axis of [n, 1, width].
      steps: tf
        .concat(
          [
            countingTensor([3, 1, 4], 0),
            countingTensor([3, 1, 2], 100),
            countingTensor([3, 1, 1], 200),
            countingTensor([3, 1, 5], 300),
          ],
          2,
        )
        .arraySync(),
      middle: tf.concat([countingTensor([2, 3, 2], 0), countingTensor([2, 1, 2], 50)], 1).arraySync(),
      // Runs of 70 and 80 values: copied in bulk.
      long: tf.concat([countingTensor([2, 70], 0), countingTensor([2, 80], 1000)], 1).arraySync(),
      first: tf
        .concat([countingTensor([1, 3], 0), countingTensor([2, 3], 10), countingTensor([3, 3], 20)], 0)
        .arraySync(),
      withEmpty: tf
        .concat([countingTensor([2, 0], 0), countingTensor([2, 3], 10), countingTensor([2, 2], 20)], 1)
        .arraySync(),
      ints: tf
        .concat([countingTensor([2, 2], 0, 'int32'), countingTensor([2, 3], 7, 'int32')], -1)
        .arraySync(),
      one: tf.concat([countingTensor([2, 2], 3)], 1).arraySync(),
      bools: tf
        .concat([tf.tensor([true, false], [1, 2], 'bool'), tf.tensor([false], [1, 1], 'bool')], 1)
        .arraySync(),
    }));
    expect(wasm).toEqual(cpu);
  });
});
