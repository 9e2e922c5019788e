import * as tf from '@tensorflow/tfjs';
import { ActionVocabulary } from '../../src/events/actionVocabulary.js';
import { IdVocabulary } from '../../src/features/idVocabulary.js';
import { DEFAULT_MODEL_CONFIG, SequenceModel } from '../../src/model/sequenceModel.js';

/** Frequent items of popularityModel: `i0` .. `i299`. */
export const POPULARITY_ITEMS = 300;

/** A model whose item biases fall with the item's index, as popularity does: what a shortlist keeps. */
export function popularityModel(): SequenceModel {
  const m = SequenceModel.create(
    { ...DEFAULT_MODEL_CONFIG, hiddenSize: 8, itemEmbeddingSize: 8 },
    {
      actions: new ActionVocabulary(['view', 'buy']),
      items: new IdVocabulary(
        Array.from({ length: POPULARITY_ITEMS }, (_, i) => `i${i}`),
        20,
      ),
      categories: new IdVocabulary([], 4),
    },
    3,
  );
  const size = m.vocabularies.items.size;
  m.params
    .get('head.item.bias')
    .assign(tf.tensor1d(Array.from({ length: size }, (_, i) => 4 - 8 * (i / size))));
  return m;
}
