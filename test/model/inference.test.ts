import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TopK, topIndexes } from '../../src/model/inference.js';

describe('topIndexes', () => {
  it('selects the k best, best first, the lower index first among equal values, skipping as told', () => {
    const top = new TopK<number>(12);
    fc.assert(
      fc.property(
        // Few distinct values, so that ties are common.
        fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 0, maxLength: 60 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 0, max: 3 }),
        (values, k, from) => {
          const row = new Float64Array(from + values.length);
          values.forEach((value, i) => {
            row[from + i] = value / 4;
          });
          const skipped = (i: number) => i % 5 === 4;
          const expected = values
            .map((_, i) => i)
            .filter((i) => !skipped(i))
            .sort((a, b) => (values[b] as number) - (values[a] as number) || a - b)
            .slice(0, k);
          const selected = topIndexes(row, from, values.length, new TopK<number>(k), skipped);
          expect(selected).toEqual(expected);
          // A reused list gives the same selection.
          if (k === 12) expect(topIndexes(row, from, values.length, top, skipped)).toEqual(expected);
        },
      ),
    );
  });
});
