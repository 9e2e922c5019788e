import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { ActionVocabulary } from '../../src/events/actionVocabulary.js';
import { IdVocabulary } from '../../src/features/idVocabulary.js';
import { encodeSequences } from '../../src/features/sequenceEncoding.js';
import { initBackend } from '../../src/model/backend.js';
import { ExploreShortlist } from '../../src/model/exploreShortlist.js';
import {
  bestKeys,
  type HeadValues,
  mergePredictions,
  smallHeads,
  TopK,
  topIndexes,
} from '../../src/model/inference.js';
import { DEFAULT_MODEL_CONFIG, SequenceModel } from '../../src/model/sequenceModel.js';

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

describe('mergePredictions', () => {
  beforeAll(async () => {
    await initBackend('cpu', 'inference');
  });

  // Items a, b, c, d are frequent (vocabulary indexes 1 to 4); x is hashed.
  const vocabularies = {
    actions: new ActionVocabulary(['view']),
    items: new IdVocabulary(['a', 'b', 'c', 'd'], 2),
    categories: new IdVocabulary([], 1),
  };
  const history = ['a', 'b', 'a', 'x'].map((itemId, n) => ({ itemId, action: 'view', tsMs: n * 1000 }));
  const batch = encodeSequences([history], vocabularies, 4);
  const gate = 0.6;
  const attention = [0, 0.2, 0.5, 0.3];
  const logZ = 2;
  const merged = (
    outputs: Pick<HeadValues, 'exploreShares' | 'exploreScale' | 'historyLogits'>,
    shortlist?: ExploreShortlist,
  ) => {
    const model = SequenceModel.create(
      { ...DEFAULT_MODEL_CONFIG, hiddenSize: 4, itemEmbeddingSize: 4 },
      vocabularies,
      1,
    );
    try {
      const [prediction] = mergePredictions(
        model,
        {
          actions: Float32Array.of(1),
          churn: Float32Array.of(0.1),
          gate: Float32Array.of(gate),
          attention: Float32Array.from(attention),
          logNormalizer: Float32Array.of(logZ),
          ...outputs,
        },
        batch,
        [history],
        6,
        shortlist,
      );
      return Object.fromEntries(prediction?.nextItems.map((item) => [item.itemId, item.score]) ?? []);
    } finally {
      model.dispose();
    }
  };

  it('adds the gate share of a history item to its explore probability from the whole softmax', () => {
    const shares = [0.1, 0.3, 0.4, 0.05];
    // Logits that disagree with the shares: without a shortlist, the merge must not read them.
    const scores = merged({
      exploreShares: Float32Array.from(shares),
      exploreScale: Float32Array.of(1),
      historyLogits: Float32Array.of(9, 9, 9, 9),
    });
    expect(scores.a).toBeCloseTo(gate * (0 + 0.5) + (1 - gate) * 0.1, 6);
    expect(scores.b).toBeCloseTo(gate * 0.2 + (1 - gate) * 0.3, 6);
    expect(scores.x).toBeCloseTo(gate * 0.3, 6);
    expect(scores.c).toBeCloseTo((1 - gate) * 0.4, 6);
  });

  it('reads a shortlisted item from the shortlist and any other frequent item from its logit', () => {
    const model = SequenceModel.create(
      { ...DEFAULT_MODEL_CONFIG, hiddenSize: 4, itemEmbeddingSize: 4 },
      vocabularies,
      1,
    );
    // Biases put b and c in a shortlist of two, a and d out of it.
    model.params.get('head.item.bias').assign(tf.tensor1d([0, 1, 3, 3, 1, 0, 0]));
    const shortlist = ExploreShortlist.build(model, 2) as ExploreShortlist;
    model.dispose();
    expect([shortlist.itemIndex(0), shortlist.itemIndex(1)].sort()).toEqual([2, 3]);
    const shares = new Float32Array(2);
    shares[shortlist.positionOf(2)] = 0.25;
    shares[shortlist.positionOf(3)] = 0.5;
    const scale = 0.8;
    const scores = merged(
      {
        exploreShares: shares,
        exploreScale: Float32Array.of(scale),
        historyLogits: Float32Array.of(1.5, 9, 1.5, 9),
      },
      shortlist,
    );
    shortlist.dispose();
    expect(scores.a).toBeCloseTo(gate * 0.5 + (1 - gate) * Math.exp(1.5 - logZ), 6);
    expect(scores.b).toBeCloseTo(gate * 0.2 + (1 - gate) * scale * 0.25, 6);
    expect(scores.c).toBeCloseTo((1 - gate) * scale * 0.5, 6);
  });
});

describe('smallHeads', () => {
  beforeAll(async () => {
    await initBackend('cpu', 'inference');
  });

  it('gives the next-action softmax and the churn and gate sigmoids of the per-head projections', () => {
    const vocabularies = {
      actions: new ActionVocabulary(['view', 'cart', 'fav', 'purchase']),
      items: new IdVocabulary(['a', 'b'], 2),
      categories: new IdVocabulary([], 1),
    };
    const model = SequenceModel.create(
      { ...DEFAULT_MODEL_CONFIG, hiddenSize: 8, itemEmbeddingSize: 4 },
      vocabularies,
      3,
    );
    // Biases start at zero; distinct ones show each is added to its own head's logits.
    model.params.get('head.action.b').assign(tf.tensor1d([0.5, -1, 2, 0.25]));
    model.params.get('head.churn.b').assign(tf.tensor1d([-0.75]));
    model.params.get('head.gate.b').assign(tf.tensor1d([1.5]));
    const width = model.params.get('head.action.w').shape[0] as number;
    const states = tf.randomNormal([5, width], 0, 2, 'float32', 11) as tf.Tensor2D;
    try {
      const heads = smallHeads(model, states);
      const asSteps = tf.expandDims(states, 1) as tf.Tensor3D;
      const expected = tf.tidy(() => ({
        actions: tf.softmax(tf.squeeze(model.actionLogits(asSteps), [1])).dataSync(),
        churn: tf.sigmoid(tf.squeeze(model.scalarHead(asSteps, 'churn'), [1])).dataSync(),
        gate: tf.sigmoid(tf.squeeze(model.scalarHead(asSteps, 'gate'), [1])).dataSync(),
      }));
      for (const head of ['actions', 'churn', 'gate'] as const) {
        expect(heads[head]).toHaveLength(expected[head].length);
        heads[head].forEach((value, i) => {
          expect(value).toBeCloseTo(expected[head][i] as number, 6);
        });
      }
    } finally {
      tf.dispose(states);
      model.dispose();
    }
  });
});
