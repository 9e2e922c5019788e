import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/model/backend.js';

beforeAll(async () => {
  await initBackend('wasm', 'inference');
});

// Other test files in this worker expect the pure-JS backend.
afterAll(async () => {
  await initBackend('cpu', 'inference');
});

describe('the WASM embedding lookup (GatherV2 on axis 0)', () => {
  it('copies the indexed rows, for float and int tables and any index shape', () => {
    const table = tf.tensor2d([0, 1, 10, 11, 20, 21, 30, 31], [4, 2]);
    expect(tf.gather(table, tf.tensor2d([3, 0, 1, 1], [2, 2], 'int32')).arraySync()).toEqual([
      [
        [30, 31],
        [0, 1],
      ],
      [
        [10, 11],
        [10, 11],
      ],
    ]);
    expect(tf.gather(tf.tensor1d([5, 6, 7], 'int32'), tf.tensor1d([2, 0], 'int32')).arraySync()).toEqual([
      7, 5,
    ]);
    expect(tf.gather(table, tf.tensor1d([], 'int32')).shape).toEqual([0, 2]);
  });

  it('refuses an index outside the table, and leaves other axes to the stock kernel', () => {
    const table = tf.tensor2d([0, 1, 10, 11], [2, 2]);
    expect(() => tf.gather(table, tf.tensor1d([2], 'int32'))).toThrow(/not in \[0, 1\]/);
    expect(() => tf.gather(table, tf.tensor1d([-1], 'int32'))).toThrow(/not in \[0, 1\]/);
    expect(tf.gather(table, tf.tensor1d([1, 1, 0], 'int32'), 1).arraySync()).toEqual([
      [1, 1, 0],
      [11, 11, 10],
    ]);
  });
});
