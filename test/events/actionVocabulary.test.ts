import { describe, expect, it } from 'vitest';
import { ActionVocabulary } from '../../src/events/actionVocabulary.js';

describe('ActionVocabulary', () => {
  const vocabulary = new ActionVocabulary(['view', 'cart', 'fav', 'purchase'], {
    pv: 'view',
    buy: 'purchase',
  });

  it('indexes actions in order and resolves aliases case-insensitively', () => {
    expect(vocabulary.indexOf('view')).toBe(0);
    expect(vocabulary.indexOf('purchase')).toBe(3);
    expect(vocabulary.indexOf('BUY')).toBe(3);
    expect(vocabulary.canonical('Pv')).toBe('view');
    expect(vocabulary.indexOf('share')).toBeUndefined();
  });

  it('refuses broken vocabularies', () => {
    expect(() => new ActionVocabulary([])).toThrow();
    expect(() => new ActionVocabulary(['a', 'A'])).toThrow(/twice/);
    expect(() => new ActionVocabulary(['a'], { b: 'c' })).toThrow(/unknown/);
  });
});
