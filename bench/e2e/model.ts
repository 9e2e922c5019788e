import { join } from 'node:path';
import { ActionVocabulary } from '../../src/events/actionVocabulary.js';
import { IdVocabulary } from '../../src/features/idVocabulary.js';
import { initBackend } from '../../src/model/backend.js';
import { saveModelFolder } from '../../src/model/modelFolder.js';
import { DEFAULT_MODEL_CONFIG, SequenceModel } from '../../src/model/sequenceModel.js';
import { untrainedMetadata } from '../../test/helpers/modelMetadata.js';

export const BENCH_ACTIONS = ['view', 'cart', 'fav', 'purchase'];
/** Frequent ids as `seqscore train` would keep them from a large log, plus its hash buckets. */
const FREQUENT_ITEMS = 20_000;
const ITEM_BUCKETS = 1_000;
const FREQUENT_CATEGORIES = 500;
const CATEGORY_BUCKETS = 100;

/**
 * An untrained model of production size (DEFAULT_MODEL_CONFIG, 20k frequent items) reading the
 * last `maxLength` events: the cost of scoring does not depend on the weights, only on their shapes. The
 * frequent ids are the synthetic generator's most popular ones (`i0`, `i1`, ...), so that both
 * the vocabulary lookups and the hashed tail are exercised as in production.
 */
export async function benchModelFolder(root: string, maxLength: number): Promise<string> {
  await initBackend('cpu', 'training');
  const folder = join(root, `model-l${maxLength}`);
  const vocabularies = {
    actions: new ActionVocabulary(BENCH_ACTIONS),
    items: new IdVocabulary(
      Array.from({ length: FREQUENT_ITEMS }, (_, i) => `i${i}`),
      ITEM_BUCKETS,
    ),
    categories: new IdVocabulary(
      Array.from({ length: FREQUENT_CATEGORIES }, (_, i) => `c${i}`),
      CATEGORY_BUCKETS,
    ),
  };
  const model = SequenceModel.create({ ...DEFAULT_MODEL_CONFIG, maxLength }, vocabularies, 1);
  await saveModelFolder(folder, model, untrainedMetadata(model, `bench-untrained-l${maxLength}`));
  model.dispose();
  return folder;
}
