import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fnv1a, IdVocabulary } from '../../src/features/idVocabulary.js';

describe('IdVocabulary', () => {
  const vocabulary = IdVocabulary.fit(['x', 'y', 'x', 'z', 'x', 'y'], {
    minCount: 2,
    maxSize: 10,
    buckets: 3,
  });

  it('gives frequent values their own index, most frequent first, and 0 to nothing', () => {
    expect(vocabulary.frequent).toEqual(['x', 'y']);
    expect(vocabulary.indexOf('x')).toBe(1);
    expect(vocabulary.indexOf('y')).toBe(2);
    expect(vocabulary.valueAt(2)).toBe('y');
    expect(vocabulary.size).toBe(1 + 2 + 3);
  });

  it('hashes rare and unseen values into stable buckets after the frequent ones', () => {
    for (const value of ['z', 'never-seen', '']) {
      const index = vocabulary.indexOf(value);
      expect(index).toBeGreaterThanOrEqual(3);
      expect(index).toBeLessThan(6);
      expect(index).toBe(3 + (fnv1a(value) % 3));
      expect(vocabulary.valueAt(index)).toBeUndefined();
    }
    expect(fnv1a('abc')).toBe(0x1a47e90b);
  });

  it('round-trips through JSON and caps its size', () => {
    expect(IdVocabulary.fromJSON(vocabulary.toJSON()).indexOf('y')).toBe(2);
    expect(IdVocabulary.fit(['a', 'a', 'b', 'b'], { minCount: 1, maxSize: 1, buckets: 1 }).frequent).toEqual([
      'a',
    ]);
  });

  it('answers as a map of its list would, with many values sharing slots', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ maxLength: 4 }), { maxLength: 60 }),
        fc.array(fc.string({ maxLength: 4 }), { maxLength: 20 }),
        fc.integer({ min: 1, max: 7 }),
        (frequent, others, buckets) => {
          const vocabulary = new IdVocabulary(frequent, buckets);
          // A value listed twice keeps its last index, as in a Map built from the list.
          const expected = new Map(frequent.map((value, i) => [value, i + 1]));
          for (const value of [...frequent, ...others]) {
            expect(vocabulary.indexOf(value)).toBe(
              expected.get(value) ?? 1 + frequent.length + (fnv1a(value) % buckets),
            );
          }
        },
      ),
    );
  });

  it('looks ids up from their bytes and numbers as from their strings', () => {
    const numbers = fc.oneof(fc.nat({ max: 30 }), fc.integer({ min: 0, max: 2 ** 32 - 1 }));
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.string({ maxLength: 4 }), numbers.map(String)), { maxLength: 40 }),
        fc.array(fc.oneof(fc.string({ maxLength: 4 }), fc.constant('é1')), { maxLength: 20 }),
        fc.array(numbers, { maxLength: 20 }),
        fc.integer({ min: 1, max: 7 }),
        (frequent, others, ids, buckets) => {
          const vocabulary = new IdVocabulary(frequent, buckets);
          for (const value of [...frequent, ...others]) {
            // Between other bytes, as in a window.
            const bytes = Buffer.from(`~${value}~`, 'utf8');
            const ascii = [...value].every((char) => char.charCodeAt(0) < 0x80);
            expect(vocabulary.indexOfAscii(bytes, 1, bytes.length - 2)).toBe(
              ascii ? vocabulary.indexOf(value) : undefined,
            );
          }
          for (const id of [...ids, ...frequent.filter((value) => /^\d+$/.test(value)).map(Number)]) {
            if (id < 2 ** 32) expect(vocabulary.indexOfNumber(id)).toBe(vocabulary.indexOf(String(id)));
          }
        },
      ),
    );
  });
});
