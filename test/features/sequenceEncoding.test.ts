import { describe, expect, it } from 'vitest';
import { ActionVocabulary } from '../../src/events/actionVocabulary.js';
import { encodeSequences, scaledGap } from '../../src/features/sequenceEncoding.js';

const vocabulary = new ActionVocabulary(['view', 'cart', 'fav', 'purchase']);
const at = (action: string, seconds: number) => ({ action, tsMs: seconds * 1000 });

describe('encodeSequences', () => {
  it('left-pads to the longest sequence with 0 and shifts action ids by one', () => {
    const batch = encodeSequences(
      [[at('view', 0), at('cart', 10), at('purchase', 70)], [at('fav', 5)]],
      vocabulary,
      50,
    );
    expect(batch.length).toBe(3);
    expect([...batch.actions]).toEqual([1, 2, 4, 0, 0, 3]);
    expect(batch.gaps[0]).toBe(0);
    expect(batch.gaps[1]).toBeCloseTo(Math.log1p(10) / 12, 6);
    expect(batch.gaps[2]).toBeCloseTo(Math.log1p(60) / 12, 6);
    expect(batch.gaps[5]).toBe(0);
  });

  it('keeps only the last maxLength events, with the gap to the dropped predecessor', () => {
    const batch = encodeSequences([[at('view', 0), at('cart', 100), at('fav', 200)]], vocabulary, 2);
    expect([...batch.actions]).toEqual([2, 3]);
    expect(batch.gaps[0]).toBeCloseTo(scaledGap(0, 100_000), 6);
  });

  it('treats out-of-order events as simultaneous and refuses unknown actions', () => {
    expect(scaledGap(10_000, 5_000)).toBe(0);
    expect(() => encodeSequences([[at('share', 0)]], vocabulary, 5)).toThrow(/vocabulary/);
  });
});
