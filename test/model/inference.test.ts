import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bestKeys } from '../../src/model/inference.js';

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
