import { describe, expect, it } from 'vitest';
import { ActionVocabulary } from '../../src/events/actionVocabulary.js';
import { IdVocabulary } from '../../src/features/idVocabulary.js';
import { encodeSequences } from '../../src/features/sequenceEncoding.js';
import { repeatCandidates } from '../../src/model/repeatCandidates.js';

const vocabularies = {
  actions: new ActionVocabulary(['view', 'cart']),
  items: new IdVocabulary([], 1),
  categories: new IdVocabulary([], 1),
};
const at = (itemId: string, action: string, seconds: number) => ({ itemId, action, tsMs: seconds * 1000 });

describe('repeatCandidates', () => {
  // x(view) y(view) x(cart) z(view): rare ids share one bucket, yet stay distinct candidates.
  const batch = encodeSequences(
    [[at('x', 'view', 0), at('y', 'view', 10), at('x', 'cart', 20), at('z', 'view', 30)]],
    vocabularies,
    10,
  );

  it('offers each distinct item once, at its latest occurrence, ranked by recency', () => {
    const last = repeatCandidates(batch, true);
    expect([...last.allowed]).toEqual([0, 1, 1, 1]);
    expect([...last.rank]).toEqual([0, 2, 1, 0]);
    expect([...last.count]).toEqual([0, 0, 1, 0]);
    // x was viewed and carted: bits 1 and 2
    expect([...last.actionsSeen]).toEqual([0, 1, 3, 1]);
    expect([...last.age]).toEqual([0, Math.floor(Math.log1p(20)), Math.floor(Math.log1p(10)), 0]);
  });

  it('ranks the candidates of the query step category by recency, and marks the others 0', () => {
    const categories = new IdVocabulary(['shoes', 'hats'], 1);
    const withCategory = (itemId: string, categoryId: string, seconds: number) => ({
      ...at(itemId, 'view', seconds),
      categoryId,
    });
    const last = repeatCandidates(
      encodeSequences(
        [
          [
            withCategory('x', 'shoes', 0),
            withCategory('y', 'hats', 10),
            withCategory('w', 'shoes', 15),
            withCategory('x', 'shoes', 17),
            withCategory('z', 'shoes', 20),
          ],
        ],
        { ...vocabularies, categories },
        10,
      ),
      true,
    );
    // z is the query step itself; x counts once, at its latest occurrence.
    expect([...last.categoryRank]).toEqual([0, 0, 3, 2, 1]);
  });

  it('for training, lets each step see only candidates at or before it', () => {
    const all = repeatCandidates(batch, false);
    const row = (t: number) => [...all.allowed.slice(t * 4, t * 4 + 4)];
    expect(row(0)).toEqual([1, 0, 0, 0]);
    expect(row(1)).toEqual([1, 1, 0, 0]);
    expect(row(2)).toEqual([0, 1, 1, 0]);
  });
});
