import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bestKeys, TopK, topIndexes } from '../../src/model/inference.js';

describe('bestKeys', () => {
  it('selects the k best keys, best first, the lower key first among equal scores', () => {
    fc.assert(
      fc.property(
        // Few distinct values, so that ties are common.
        fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 0, maxLength: 60 }),
        fc.integer({ min: 1, max: 12 }),
        (values, k) => {
          const distinct = values.length;
          const scores = new Float64Array(distinct + 1);
          values.forEach((value, i) => {
            scores[i + 1] = value / 4;
          });
          const best = new Int32Array(k);
          const bestScores = new Float64Array(k);
          const count = bestKeys(scores, distinct, k, best, bestScores);
          const expected = Array.from({ length: distinct }, (_, i) => i + 1)
            .sort((a, b) => (scores[b] as number) - (scores[a] as number) || a - b)
            .slice(0, k);
          expect(Array.from(best.subarray(0, count))).toEqual(expected);
          expect(Array.from(bestScores.subarray(0, count))).toEqual(expected.map((key) => scores[key]));
        },
      ),
    );
  });
});

describe('topIndexes', () => {
  it('selects the k largest values of a row that are not skipped, best first, the lower index first among equals', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 0, maxLength: 40 }),
        fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 0, maxLength: 40 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 2, max: 5 }),
        (before, row, k, skipEvery) => {
          // The row sits after other values, at an offset that is not a multiple of four.
          const values = Float32Array.from([...before, ...row], (value) => value / 6);
          const skip = (index: number) => index % skipEvery === 0;
          const selected = topIndexes(values, before.length, row.length, new TopK<number>(k), skip);
          const expected = row
            .map((_, index) => index)
            .filter((index) => !skip(index))
            .sort((a, b) => (row[b] as number) - (row[a] as number) || a - b)
            .slice(0, k);
          expect(selected).toEqual(expected);
        },
      ),
    );
  });
});
