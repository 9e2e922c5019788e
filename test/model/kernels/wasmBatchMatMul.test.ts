import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/model/backend.js';
import { expectAllClose } from '../../helpers/allClose.js';

const cases = [
  { name: 'plain', a: [5, 7], b: [7, 3], transposeA: false, transposeB: false },
  { name: 'transposed b', a: [5, 7], b: [3, 7], transposeA: false, transposeB: true },
  { name: 'transposed a', a: [7, 5], b: [7, 3], transposeA: true, transposeB: false },
  { name: 'both transposed', a: [7, 5], b: [3, 7], transposeA: true, transposeB: true },
  { name: 'batched, transposed b', a: [4, 5, 7], b: [4, 3, 7], transposeA: false, transposeB: true },
  { name: 'batched, transposed a', a: [4, 7, 5], b: [4, 7, 3], transposeA: true, transposeB: false },
];

/** Multiplies copies of the same values on one backend. */
async function on(backend: 'cpu' | 'wasm', a: number[], b: number[], c: (typeof cases)[number]) {
  await initBackend(backend, 'training');
  const result = tf.matMul(tf.tensor(a, c.a), tf.tensor(b, c.b), c.transposeA, c.transposeB);
  return { shape: result.shape, values: await result.data() };
}

describe('BatchMatMul on wasm', () => {
  beforeAll(async () => {
    await initBackend('cpu', 'training');
  });

  it.each(cases)('matches the CPU backend: $name', async (c) => {
    const a = Array.from(tf.randomNormal(c.a, 0, 1, 'float32', 31).dataSync());
    const b = Array.from(tf.randomNormal(c.b, 0, 1, 'float32', 32).dataSync());
    const want = await on('cpu', a, b, c);
    const got = await on('wasm', a, b, c);
    expect(got.shape).toEqual(want.shape);
    expectAllClose(got.values, want.values);
  });

  it('leaves no intermediate tensors behind', async () => {
    await initBackend('wasm', 'training');
    const a = tf.randomNormal([6, 4]);
    const b = tf.randomNormal([5, 4]);
    const before = tf.memory().numTensors;
    const dataBefore = tf.engine().backend.numDataIds();
    tf.matMul(a, b, false, true).dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(tf.engine().backend.numDataIds()).toBe(dataBefore);
  });
});
