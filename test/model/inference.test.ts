import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { ActionVocabulary } from '../../src/events/actionVocabulary.js';
import { eventSteps } from '../../src/features/historySteps.js';
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
import { POPULARITY_ITEMS, popularityModel } from '../helpers/popularityModel.js';

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

describe('topIndexes with limits', () => {
  it('keeps only values above the floor, and reads on until the bound falls to its floor', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 0, maxLength: 80 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: -1, max: 6 }),
        (row, k, floorStep) => {
          const values = Float32Array.from(row, (value) => value / 6);
          const floor = floorStep / 6;
          const skip = (index: number) => index % 3 === 0;
          // A valid bound: the log of the largest value from the column on.
          const logBoundFrom = (column: number) => Math.log(Math.max(0, ...values.subarray(column)));
          const selected = topIndexes(values, 0, values.length, new TopK<number>(k), skip, {
            floor,
            logBoundFrom,
          });
          const expected = row
            .map((_, index) => index)
            .filter((index) => !skip(index) && (values[index] as number) > floor)
            .sort((a, b) => (row[b] as number) - (row[a] as number) || a - b)
            .slice(0, k);
          expect(selected).toEqual(expected);
        },
      ),
    );
  });

  it('keeps zeros above a negative floor, though their bound is log 0', () => {
    const values = new Float32Array([0, 0]);
    const selected = topIndexes(values, 0, 2, new TopK<number>(1), (index) => index === 0, {
      floor: -1 / 6,
      logBoundFrom: () => Math.log(0),
    });
    expect(selected).toEqual([1]);
  });

  it('stops where the bound says no later value can make the list', () => {
    const values = new Float32Array(64).fill(0.1);
    values[40] = 0.9;
    const logBoundFrom = (column: number) => Math.log(column < 32 ? 1 : 0.05);
    const all = topIndexes(values, 0, 64, new TopK<number>(3), () => false);
    expect(all[0]).toBe(40);
    const bounded = topIndexes(values, 0, 64, new TopK<number>(3), () => false, {
      floor: 0.05,
      logBoundFrom,
    });
    expect(bounded).toEqual([0, 1, 2]);
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
        [eventSteps(history, model.vocabularies, history.length)],
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

describe('mergePredictions against every candidate scored', () => {
  // f0 .. f9 are frequent (vocabulary indexes 1 to 10); x and y are hashed.
  const ids = [...Array.from({ length: 10 }, (_, i) => `f${i}`), 'x', 'y'];
  const vocabularies = {
    actions: new ActionVocabulary(['view']),
    items: new IdVocabulary(ids.slice(0, 10), 3),
    categories: new IdVocabulary([], 1),
  };
  let model: SequenceModel;
  let shortlist: ExploreShortlist;
  beforeAll(async () => {
    await initBackend('cpu', 'inference');
    model = SequenceModel.create(
      { ...DEFAULT_MODEL_CONFIG, hiddenSize: 4, itemEmbeddingSize: 4 },
      vocabularies,
      1,
    );
    // Biases that put f6, f0, f2 and f4 on a shortlist of four, in that order.
    model.params.get('head.item.bias').assign(tf.tensor1d([0, 5, 1, 4, 2, 3, 0, 6, 1, 2, 0, 0, 0, 0]));
    shortlist = ExploreShortlist.build(model, 4) as ExploreShortlist;
    return () => {
      shortlist.dispose();
      model.dispose();
    };
  });
  const unit = fc.double({ min: 0.001, max: 1, noNaN: true });

  it('keeps the k best of the history items and the shortlist items outside the history', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: ids.length - 1 }), { minLength: 1, maxLength: 8 }),
        fc.array(unit, { minLength: 8, maxLength: 8 }),
        fc.array(unit, { minLength: ids.length, maxLength: ids.length }),
        fc.array(unit, { minLength: 4, maxLength: 4 }),
        unit,
        unit,
        fc.integer({ min: 1, max: 6 }),
        (picks, attention, itemLogits, shares, gate, scale, k) => {
          const history = picks.map((p, n) => ({ itemId: ids[p] as string, action: 'view', tsMs: n * 1000 }));
          const batch = encodeSequences([history], vocabularies, history.length);
          const logZ = 1;
          const [prediction] = mergePredictions(
            model,
            {
              actions: Float32Array.of(1),
              churn: Float32Array.of(0),
              gate: Float32Array.of(gate),
              attention: Float32Array.from(attention.slice(0, history.length)),
              historyLogits: Float32Array.from(picks, (p) => -(itemLogits[p] as number)),
              exploreShares: Float32Array.from(shares),
              exploreScale: Float32Array.of(scale),
              logNormalizer: Float32Array.of(logZ),
            },
            batch,
            [eventSteps(history, model.vocabularies, history.length)],
            k,
            shortlist,
          );
          // Stored as float32, as the merge reads them.
          const f32 = Math.fround;
          // Added up in the merge's order, so that equal scores stay equal: a history item's
          // explore probability joins its attention at its first step.
          const candidates = new Map<string, number>();
          picks.forEach((p, n) => {
            const id = ids[p] as string;
            const first = !candidates.has(id);
            let score = (candidates.get(id) ?? 0) + f32(gate) * f32(attention[n] as number);
            const index = vocabularies.items.indexOf(id);
            if (first && index <= 10) {
              const column = shortlist.positionOf(index);
              const explore =
                column >= 0
                  ? f32(scale) * f32(shares[column] as number)
                  : Math.exp(f32(-(itemLogits[p] as number)) - logZ);
              score += (1 - f32(gate)) * explore;
            }
            candidates.set(id, score);
          });
          const fromHistory = [...candidates.entries()];
          const fromExplore = [0, 1, 2, 3]
            .map((n) => [vocabularies.items.valueAt(shortlist.itemIndex(n) as number) as string, n] as const)
            .filter(([id]) => !candidates.has(id))
            // Explore items come best share first, which orders them where their scores tie (a gate of 1).
            .sort(([, a], [, b]) => f32(shares[b] as number) - f32(shares[a] as number))
            .map(([id, n]) => [id, (1 - f32(gate)) * f32(scale) * f32(shares[n] as number)] as const);
          const expected = [...fromHistory, ...fromExplore].sort((a, b) => b[1] - a[1]).slice(0, k);
          expect(prediction?.nextItems.map((item) => item.itemId)).toEqual(expected.map(([id]) => id));
          prediction?.nextItems.forEach((item, i) => {
            expect(item.score).toBeCloseTo((expected[i] as readonly [string, number])[1], 6);
          });
        },
      ),
    );
  });
});

describe("mergePredictions with the shortlist's bounds", () => {
  beforeAll(async () => {
    await initBackend('cpu', 'inference');
  });

  it('reads the same items as without them, where the query terms matter as much as the biases', () => {
    const model = popularityModel();
    const { vocabularies } = model;
    const size = vocabularies.items.size;
    // Embeddings large enough that q·e reorders the items against their biases.
    model.params.get('emb.item').assign(tf.randomNormal([size, 8], 0, 1, 'float32', 3) as tf.Tensor2D);
    const shortlist = ExploreShortlist.build(model, 64) as ExploreShortlist;
    const rows = 40;
    const query = tf.randomNormal([rows, 8], 0, 1, 'float32', 7) as tf.Tensor2D;
    try {
      const { shares, scale, logNormalizer, bounds } = shortlist.probabilities(query);
      // Short histories, so that explore items fill most of the list.
      const histories = Array.from({ length: rows }, (_, b) =>
        Array.from({ length: 1 + (b % 3) }, (_, n) => ({
          itemId: `i${(b * 7 + n * 13) % POPULARITY_ITEMS}`,
          action: 'view',
          tsMs: n * 1000,
        })),
      );
      const batch = encodeSequences(histories, vocabularies, 3);
      const steps = histories.map((history) => eventSteps(history, vocabularies, 3));
      const outputs: HeadValues = {
        actions: new Float32Array(rows),
        churn: new Float32Array(rows),
        gate: Float32Array.from({ length: rows }, (_, b) => (b % 5) / 5),
        attention: Float32Array.from({ length: rows * batch.length }, (_, i) => ((i * 37) % 11) / 11),
        historyLogits: new Float32Array(rows * batch.length),
        exploreShares: shares,
        exploreScale: scale,
        logNormalizer,
      };
      const bounded = mergePredictions(
        model,
        { ...outputs, exploreBounds: bounds },
        batch,
        steps,
        10,
        shortlist,
      );
      expect(bounded).toEqual(mergePredictions(model, outputs, batch, steps, 10, shortlist));
    } finally {
      tf.dispose(query);
      shortlist.dispose();
      model.dispose();
    }
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
