import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ActionVocabulary } from '../../src/events/actionVocabulary.js';
import { IdVocabulary } from '../../src/features/idVocabulary.js';
import { encodeSequences, type SequenceEvent } from '../../src/features/sequenceEncoding.js';
import { initBackend } from '../../src/model/backend.js';
import { ExploreShortlist } from '../../src/model/exploreShortlist.js';
import { HistoryHead } from '../../src/model/historyHead.js';
import { repeatCandidates } from '../../src/model/repeatCandidates.js';
import { batchTensors, DEFAULT_MODEL_CONFIG, SequenceModel } from '../../src/model/sequenceModel.js';

const actions = ['view', 'cart', 'fav', 'purchase'];

function history(user: number, length: number): SequenceEvent[] {
  return Array.from({ length }, (_, n) => {
    const k = (user * 13 + n * 7) % 23;
    return {
      itemId: k < 18 ? `item${k % (3 + user)}` : `rare${k}`,
      categoryId: `c${k % 3}`,
      action: actions[(k + n) % 4] as string,
      tsMs: Date.UTC(2017, 10, 25) + n * (k % 4 === 0 ? 7_200_000 : 45_000),
    };
  });
}

beforeAll(async () => {
  await initBackend('cpu', 'inference');
});

describe('HistoryHead', () => {
  // 7: a width that is not a multiple of the dot product's four running sums.
  it.each([8, 7])(
    'equals the softmax of SequenceModel.repeatLogits, and the explore logits of the frequent history items outside the shortlist (width %i)',
    (width) => {
      const vocabularies = {
        actions: new ActionVocabulary(actions),
        items: new IdVocabulary(
          Array.from({ length: 20 }, (_, i) => `item${i}`),
          4,
        ),
        categories: new IdVocabulary(['c0', 'c1'], 2),
      };
      const model = SequenceModel.create(
        { ...DEFAULT_MODEL_CONFIG, itemEmbeddingSize: width, maxLength: 12 },
        vocabularies,
        3,
      );
      // Untrained biases are zeros; random ones make every term count.
      for (const name of ['rank', 'count', 'age', 'actionsSeen', 'categoryRank', 'item']) {
        const bias = model.params.get(`head.${name}.bias`);
        bias.assign(tf.randomNormal(bias.shape, 0, 1, 'float32', 5));
      }
      const histories = [history(0, 12), history(1, 5), history(2, 9), history(3, 1)];
      const batch = encodeSequences(histories, vocabularies, 12);
      const { batchSize, length } = batch;
      const query = tf.randomNormal([batchSize, width], 0, 1, 'float32', 9) as tf.Tensor2D;

      const shortlist = ExploreShortlist.build(model, 8) as ExploreShortlist;
      const { attention, historyLogits } = new HistoryHead(model, shortlist).read(
        query.dataSync() as Float32Array,
        batch,
      );

      const expected = tf.tidy(() => {
        const keys = model.embed(batchTensors(batch)).keys();
        const asSteps = tf.expandDims(query, 1) as tf.Tensor3D;
        const items = tf.tensor2d(batch.items, [batchSize, length], 'int32');
        return {
          attention: tf.softmax(model.repeatLogits(asSteps, keys, repeatCandidates(batch, true))).dataSync(),
          historyLogits: tf
            .add(
              tf.squeeze(
                tf.matMul(asSteps, tf.gather(model.params.get('emb.item'), items), false, true),
                [1],
              ),
              tf.gather(model.params.get('head.item.bias'), items),
            )
            .dataSync(),
        };
      });
      let candidates = 0;
      const logitsRead = { shortlisted: 0, other: 0 };
      for (let at = 0; at < batchSize * length; at++) {
        expect(attention[at]).toBeCloseTo(expected.attention[at] as number, 5);
        if ((attention[at] as number) > 0) candidates++;
        const item = batch.items[at] as number;
        if (batch.mask[at] === 0 || item > vocabularies.items.frequent.length) continue;
        if (shortlist.positionOf(item) >= 0) {
          logitsRead.shortlisted++;
        } else {
          logitsRead.other++;
          expect(historyLogits[at]).toBeCloseTo(expected.historyLogits[at] as number, 4);
        }
      }
      expect(candidates).toBeGreaterThan(batchSize);
      expect(logitsRead.shortlisted).toBeGreaterThan(0);
      expect(logitsRead.other).toBeGreaterThan(0);
      shortlist.dispose();
      query.dispose();
      model.dispose();
    },
  );
});
