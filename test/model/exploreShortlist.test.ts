import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/model/backend.js';
import { ExploreShortlist, exploreColumn, exploreItemIndex } from '../../src/model/exploreShortlist.js';
import { POPULARITY_ITEMS, popularityModel } from '../helpers/popularityModel.js';

beforeAll(async () => {
  await initBackend('cpu', 'inference');
});

describe('the explore shortlist', () => {
  it('finds the exact top items and estimates the softmax normaliser and probabilities closely', () => {
    const m = popularityModel();
    const shortlist = ExploreShortlist.build(m, 64) as ExploreShortlist;
    expect(shortlist.size).toBe(64);
    for (let n = 0; n < shortlist.size; n++)
      expect(shortlist.positionOf(shortlist.itemIndex(n) as number)).toBe(n);
    const shortlisted = new Set(Array.from({ length: shortlist.size }, (_, n) => shortlist.itemIndex(n)));
    const outside = Array.from({ length: m.vocabularies.items.size }, (_, i) => i).filter(
      (i) => !shortlisted.has(i),
    );
    expect(outside.map((i) => shortlist.positionOf(i))).toEqual(outside.map(() => -1));
    const query = tf.randomNormal([6, 8], 0, 0.5, 'float32', 11) as tf.Tensor2D;
    const exact = m.exploreLogits(query);
    const exactTop = tf
      .topk(tf.slice(exact, [0, 1], [6, POPULARITY_ITEMS]), 5)
      .indices.arraySync() as number[][];
    const logits = shortlist.logits(query);
    const shortTop = tf.topk(logits, 5).indices.arraySync() as number[][];
    shortTop.forEach((row, b) => {
      expect(row.map((n) => (shortlist.itemIndex(n) as number) - 1)).toEqual(exactTop[b]);
    });
    const { shares, scale, logNormalizer } = shortlist.probabilities(query);
    const truth = tf.logSumExp(exact, 1).arraySync() as number[];
    const exactLogits = exact.arraySync() as number[][];
    logNormalizer.forEach((value, b) => {
      expect(Math.abs(Math.exp(value - (truth[b] as number)) - 1)).toBeLessThan(0.02);
      // Each shortlist item's share is its probability under the whole vocabulary's softmax.
      for (let n = 0; n < shortlist.size; n++) {
        const index = shortlist.itemIndex(n) as number;
        const want = Math.exp((exactLogits[b]?.[index] as number) - (truth[b] as number));
        const share = (scale[b] as number) * (shares[b * shortlist.size + n] as number);
        expect(Math.abs(share / want - 1)).toBeLessThan(0.02);
      }
    });
    // Without the estimate of the tail, the normaliser would miss a fifth of the mass here.
    const headOnly = tf.logSumExp(logits, 1).arraySync() as number[];
    expect(Math.exp((headOnly[0] as number) - (truth[0] as number))).toBeLessThan(0.9);
    shortlist.dispose();
    m.dispose();
  });

  it('finds the normaliser of a row where the largest-bias item has almost no share', () => {
    const m = popularityModel();
    const shortlist = ExploreShortlist.build(m, 64) as ExploreShortlist;
    const first = shortlist.itemIndex(0) as number;
    const embeddings = m.params.get('emb.item');
    const rows = embeddings.arraySync() as number[][];
    rows[first] = [12, 0, 0, 0, 0, 0, 0, 0];
    embeddings.assign(tf.tensor2d(rows));
    // q·e = -120 puts the first item's share below float32's smallest normal number.
    const query = tf.tensor2d([[-10, 0, 0, 0, 0, 0, 0, 0]]);
    const rebuilt = ExploreShortlist.build(m, 64) as ExploreShortlist;
    const { shares, logNormalizer } = rebuilt.probabilities(query);
    expect(shares[0]).toBeLessThan(1e-30);
    const truth = tf.logSumExp(m.exploreLogits(query), 1).arraySync() as number[];
    expect(Math.abs(Math.exp((logNormalizer[0] as number) - (truth[0] as number)) - 1)).toBeLessThan(0.02);
    tf.dispose([query]);
    shortlist.dispose();
    rebuilt.dispose();
    m.dispose();
  });

  it("estimates the tail's mass with both its terms when the items share a direction", () => {
    const m = popularityModel();
    // Every item leans the same way, so the tail's linear term q·s1 is large against its quadratic one.
    const embeddings = m.params.get('emb.item');
    embeddings.assign(tf.add(embeddings, tf.tensor1d([0.4, 0, 0, 0, 0, 0, 0, 0])));
    const shortlist = ExploreShortlist.build(m, 64) as ExploreShortlist;
    const query = tf.tensor2d([
      [1, 0, 0, 0, 0, 0, 0, 0],
      [-1, 0.2, 0, 0, 0, 0, 0, 0],
    ]);
    const { logNormalizer } = shortlist.probabilities(query);
    const truth = tf.logSumExp(m.exploreLogits(query), 1).arraySync() as number[];
    logNormalizer.forEach((value, b) => {
      expect(Math.abs(Math.exp(value - (truth[b] as number)) - 1)).toBeLessThan(0.02);
    });
    tf.dispose([query]);
    shortlist.dispose();
    m.dispose();
  });

  it('bounds the shares of each column and every later one, a bound that falls with the bias', () => {
    const m = popularityModel();
    const shortlist = ExploreShortlist.build(m, 64) as ExploreShortlist;
    const rows = 6;
    const query = tf.randomNormal([rows, 8], 0, 1, 'float32', 5) as tf.Tensor2D;
    const { shares, bounds } = shortlist.probabilities(query);
    for (let b = 0; b < rows; b++) {
      const bound = (n: number) =>
        Math.exp(shortlist.logShareBound(n, bounds.queryNorm[b] as number, bounds.logHead[b] as number));
      let largestFrom = 0;
      for (let n = shortlist.size - 1; n >= 0; n--) {
        largestFrom = Math.max(largestFrom, shares[b * shortlist.size + n] as number);
        expect(bound(n)).toBeGreaterThanOrEqual(largestFrom);
      }
      // The biases fall by 1.6 along the shortlist: the bound falls with them.
      expect(bound(shortlist.size - 1)).toBeLessThan(0.5 * bound(0));
    }
    tf.dispose(query);
    shortlist.dispose();
    m.dispose();
  });

  it('is not built when it would hold every frequent item', () => {
    const m = popularityModel();
    expect(ExploreShortlist.build(m, POPULARITY_ITEMS)).toBeUndefined();
    expect(ExploreShortlist.build(m, 0)).toBeUndefined();
    m.dispose();
  });

  it('gives each explore column its frequent item, the inverse of exploreColumn', () => {
    const m = popularityModel();
    const shortlist = ExploreShortlist.build(m, 64) as ExploreShortlist;
    for (const [list, width] of [
      [shortlist, 64],
      [undefined, POPULARITY_ITEMS],
    ] as const) {
      const columns = Array.from({ length: width }, (_, column) => column);
      const items = columns.map((column) => exploreItemIndex(column, list));
      expect(new Set(items).size).toBe(width);
      for (const item of items) expect(item).toBeGreaterThanOrEqual(1);
      for (const item of items) expect(item).toBeLessThanOrEqual(POPULARITY_ITEMS);
      expect(items.map((item) => exploreColumn(item, list))).toEqual(columns);
    }
    // The shortlist holds the items of largest bias, which this model gives the lowest indexes.
    expect(exploreItemIndex(0, shortlist)).toBe(1);
    shortlist.dispose();
    m.dispose();
  });
});
