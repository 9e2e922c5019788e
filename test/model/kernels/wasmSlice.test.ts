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

const values = (shape: number[], dtype: 'float32' | 'int32' = 'float32') =>
  tf.tensor(
    Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i),
    shape,
    dtype,
  );

beforeAll(async () => {
  await initBackend('cpu', 'inference');
});

afterAll(async () => {
  await initBackend('cpu', 'inference');
});

describe('WASM slices read in place', () => {
  it('slice, unstack and split give what the reference backend gives', async () => {
    const { wasm, cpu } = await onBoth(() => {
      const x = values([3, 4, 5]);
      return {
        inner: tf.slice(x, [1, 1, 2], [2, 3, 2]).arraySync(),
        toEnd: tf.slice(x, [0, 2, 0], [-1, -1, 3]).arraySync(),
        rank1: tf.slice(values([7], 'int32'), [2], [3]).arraySync(),
        rank4: tf.slice(values([2, 3, 2, 2]), [1, 1, 0, 1], [1, 2, 2, 1]).arraySync(),
        unstacked: tf.unstack(x, 1).map((t) => t.arraySync()),
        split: tf.split(values([2, 9], 'int32'), [2, 3, 4], 1).map((t) => t.arraySync()),
        splitEven: tf.split(x, 3, 0).map((t) => t.shape),
      };
    });
    expect(wasm).toEqual(cpu);
  });
});
