import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/model/backend.js';

/** The same ops on the pure-JS backend, as the reference. */
async function onBoth<T>(compute: () => T): Promise<{ wasm: T; cpu: T }> {
  await initBackend('wasm', 'inference');
  const wasm = compute();
  await initBackend('cpu', 'inference');
  const cpu = compute();
  return { wasm, cpu };
}

/** Distinct values, offset per tensor, so that a value copied from the wrong place shows. */
const values = (shape: number[], offset: number, dtype: 'float32' | 'int32' = 'float32') =>
  tf.tensor(
    Array.from(
      { length: shape.reduce((a, b) => a * b, 1) },
      (_, i) => offset + i + (dtype === 'float32' ? 0.5 : 0),
    ),
    shape,
    dtype,
  );

beforeAll(async () => {
  await initBackend('cpu', 'inference');
});

afterAll(async () => {
  await initBackend('cpu', 'inference');
});

describe('WASM concat copied in the heap', () => {
  it('gives what the reference backend gives, for every axis, short and long runs, empty parts and ints', async () => {
    const { wasm, cpu } = await onBoth(() => ({
      // A micro-batch's step inputs: five parts along the last axis of [n, 1, width].
      steps: tf
        .concat(
          [values([3, 1, 4], 0), values([3, 1, 2], 100), values([3, 1, 1], 200), values([3, 1, 5], 300)],
          2,
        )
        .arraySync(),
      middle: tf.concat([values([2, 3, 2], 0), values([2, 1, 2], 50)], 1).arraySync(),
      // Runs of 70 and 80 values: copied in bulk.
      long: tf.concat([values([2, 70], 0), values([2, 80], 1000)], 1).arraySync(),
      first: tf.concat([values([1, 3], 0), values([2, 3], 10), values([3, 3], 20)], 0).arraySync(),
      withEmpty: tf.concat([values([2, 0], 0), values([2, 3], 10), values([2, 2], 20)], 1).arraySync(),
      ints: tf.concat([values([2, 2], 0, 'int32'), values([2, 3], 7, 'int32')], -1).arraySync(),
      one: tf.concat([values([2, 2], 3)], 1).arraySync(),
      bools: tf
        .concat([tf.tensor([true, false], [1, 2], 'bool'), tf.tensor([false], [1, 1], 'bool')], 1)
        .arraySync(),
    }));
    expect(wasm).toEqual(cpu);
  });
});
