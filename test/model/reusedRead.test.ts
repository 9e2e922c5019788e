import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/model/backend.js';
import { ExploreShortlist } from '../../src/model/exploreShortlist.js';
import { ReusedRead } from '../../src/model/reusedRead.js';
import { popularityModel } from '../helpers/popularityModel.js';

beforeAll(async () => {
  await initBackend('wasm', 'inference');
});

// Other test files in this worker expect the pure-JS backend.
afterAll(async () => {
  await initBackend('cpu', 'inference');
});

describe('reading tensors into a reused array (WASM backend)', () => {
  it('gives each read exactly its own values, whether the next tensor is smaller or larger', () => {
    const reader = new ReusedRead();
    for (const size of [12, 5, 40]) {
      const values = Float32Array.from({ length: size }, (_, i) => size * 100 + i);
      const tensor = tf.tensor1d(values);
      expect(reader.read(tensor)).toEqual(values);
      tensor.dispose();
    }
  });

  it('copies into the same memory each time, and refuses tensors that are not float32', () => {
    const reader = new ReusedRead();
    const first = tf.tensor1d([1, 2, 3]);
    const second = tf.tensor1d([4, 5]);
    const firstBuffer = reader.read(first).buffer;
    expect(reader.read(second).buffer).toBe(firstBuffer);
    const ints = tf.tensor1d([3, -1, 7], 'int32');
    expect(() => reader.read(ints)).toThrow(/float32 tensors, not int32/);
    tf.dispose([first, second, ints]);
  });

  it("gives the explore shortlist's shares as the softmax of its logits, batch after batch", () => {
    const m = popularityModel();
    const shortlist = ExploreShortlist.build(m, 64) as ExploreShortlist;
    for (const [rows, seed] of [
      [6, 1],
      [2, 2],
      [9, 3],
    ] as const) {
      const query = tf.randomNormal([rows, 8], 0, 0.5, 'float32', seed) as tf.Tensor2D;
      const want = tf.tidy(() => tf.softmax(shortlist.logits(query)));
      const { shares } = shortlist.probabilities(query);
      expect(shares.length).toBe(rows * shortlist.size);
      const expected = want.dataSync();
      shares.forEach((share, i) => {
        expect(share).toBeCloseTo(expected[i] as number, 6);
      });
      tf.dispose([query, want]);
    }
    shortlist.dispose();
    m.dispose();
  });
});
