import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ActionVocabulary } from '../../src/events/actionVocabulary.js';
import { eventSteps } from '../../src/features/historySteps.js';
import { IdVocabulary } from '../../src/features/idVocabulary.js';
import type { FeatureVocabularies, SequenceEvent } from '../../src/features/sequenceEncoding.js';
import { initBackend } from '../../src/model/backend.js';
import { userEmbeddings } from '../../src/model/embeddings.js';
import type { Architecture } from '../../src/model/encoders.js';
import {
  decodeModelState,
  encodeModelState,
  IncrementalScorer,
  modelTag,
  type StepCounts,
  type UserSteps,
} from '../../src/model/incrementalScorer.js';
import { type Prediction, predictLast } from '../../src/model/inference.js';
import { DEFAULT_MODEL_CONFIG, SequenceModel } from '../../src/model/sequenceModel.js';
import { expectAllClose } from '../helpers/allClose.js';

const actions = ['view', 'cart', 'fav', 'purchase'];
const items = Array.from({ length: 40 }, (_, i) => `item${i}`);

function model(architecture: Architecture): SequenceModel {
  const vocabularies = {
    actions: new ActionVocabulary(actions),
    items: new IdVocabulary(items, 8),
    categories: new IdVocabulary(['c0', 'c1', 'c2'], 4),
  };
  const config = {
    ...DEFAULT_MODEL_CONFIG,
    architecture,
    hiddenSize: 16,
    itemEmbeddingSize: 8,
    maxLength: 20,
  };
  const created = SequenceModel.create(config, vocabularies, 7);
  // Biases start at zero; a trained model's are not, and each path must add every one of them.
  for (const name of ['enc.b', 'enc.bh', 'head.action.b', 'head.churn.b', 'head.gate.b']) {
    if (!created.params.has(name)) continue;
    const bias = created.params.get(name);
    bias.assign(tf.randomNormal(bias.shape, 0, 0.5, 'float32', 13));
  }
  return created;
}

/** Deterministic histories with repeats, rare items, sessions and gaps. */
function history(user: number, length: number): SequenceEvent[] {
  let ts = Date.UTC(2017, 10, 25) + user * 1_000_000;
  return Array.from({ length }, (_, n) => {
    const k = (user * 31 + n * 17) % 53;
    ts += (k % 5 === 0 ? 3_600 : 20 + k) * 1000;
    return {
      itemId: k < 40 ? `item${k % (5 + user)}` : `rare${k}`,
      categoryId: `c${k % 4}`,
      action: actions[k % 4] as string,
      tsMs: ts,
    };
  });
}

const stepsOf = (events: readonly SequenceEvent[], from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => {
    const history = (limit: number) => events.slice(0, from + i + 1).slice(-limit);
    return {
      placed: false,
      history,
      steps: (limit: number, vocabularies: FeatureVocabularies) =>
        eventSteps(history(limit), vocabularies, limit),
    };
  });

function expectClose(actual: Prediction, expected: Prediction, tolerance: number) {
  actual.nextAction.forEach((p, i) => {
    expect(Math.abs(p - (expected.nextAction[i] as number))).toBeLessThan(tolerance);
  });
  expect(Math.abs(actual.churn - expected.churn)).toBeLessThan(tolerance);
  expect(actual.nextItems).toHaveLength(expected.nextItems.length);
  const expectedScores = new Map(expected.nextItems.map((item) => [item.itemId, item.score]));
  for (const item of actual.nextItems.slice(0, 3)) {
    expect(expectedScores.has(item.itemId), `${item.itemId} in the whole-sequence top items`).toBe(true);
    expect(Math.abs(item.score - (expectedScores.get(item.itemId) as number))).toBeLessThan(tolerance);
  }
}

beforeAll(async () => {
  await initBackend('cpu', 'inference');
});

describe('incremental scoring', () => {
  for (const architecture of ['gru', 'lstm', 'rnn'] as const) {
    it(`${architecture}: one step per event equals whole-sequence scoring within int8 state tolerance`, () => {
      const m = model(architecture);
      const scorer = new IncrementalScorer(m, 'v1', 5);
      const users = [0, 1, 2, 3].map((u) => history(u, 12));
      const states: Buffer[] = users.map(() => Buffer.alloc(0));
      const counts: StepCounts = { stepped: 0, rebuiltMissing: 0, rebuiltVersion: 0, rebuiltReordered: 0 };
      let worst = 0;
      // One event per batch for the first users' first steps, then two at once (two rounds).
      for (let t = 0; t < 12; t += t < 6 ? 1 : 2) {
        const step = t < 6 ? 1 : 2;
        const scored = scorer.score(
          users.map((events, u) => ({
            modelState: states[u] as Buffer,
            events: stepsOf(events, t, t + step),
          })),
          counts,
        );
        scored.forEach((user, u) => {
          states[u] = user.modelState as Buffer;
          user.predictions.forEach((prediction, i) => {
            const [whole] = predictLast(m, [(users[u] as SequenceEvent[]).slice(0, t + i + 1)], 5);
            expectClose(prediction, whole as Prediction, 0.02);
            worst = Math.max(worst, Math.abs(prediction.churn - (whole as Prediction).churn));
          });
        });
      }
      // New users start from the initial state: every batch of every user is stepped, none rebuilt.
      expect(counts).toEqual({ stepped: 36, rebuiltMissing: 0, rebuiltVersion: 0, rebuiltReordered: 0 });
      expect(worst).toBeGreaterThan(0);
      m.dispose();
    });
  }

  for (const architecture of ['gru', 'lstm', 'rnn'] as const) {
    it(`${architecture}: steps users with different numbers of new events in one batch, each in order`, () => {
      const m = model(architecture);
      const scorer = new IncrementalScorer(m, 'v1', 5);
      const users = [0, 1, 2, 3].map((u) => history(u, 10));
      const states: Buffer[] = users.map(() => Buffer.alloc(0));
      // Batch 1: user u brings u + 1 events (rounds in which some users have nothing); batch 2: 4 - u.
      const batches = [(u: number) => [0, u + 1], (u: number) => [u + 1, 5]];
      let compared = 0;
      for (const span of batches) {
        const scored = scorer.score(
          users.map((events, u) => {
            const [from, to] = span(u) as [number, number];
            return { modelState: states[u] as Buffer, events: stepsOf(events, from, to) };
          }),
        );
        scored.forEach((user, u) => {
          const [from, to] = span(u) as [number, number];
          expect(user.predictions).toHaveLength(to - from);
          expect(user.embeddings).toHaveLength(to - from);
          states[u] = user.modelState as Buffer;
          const prefixes = user.predictions.map((_, i) =>
            (users[u] as SequenceEvent[]).slice(0, from + i + 1),
          );
          const wholeStates = userEmbeddings(m, prefixes);
          user.predictions.forEach((prediction, i) => {
            const [whole] = predictLast(m, [prefixes[i] as SequenceEvent[]], 5);
            expectClose(prediction, whole as Prediction, 0.02);
            compared++;
          });
          if (from === 0) {
            // From the initial state nothing was quantized yet: each event's state is the encoder's,
            // and the stored one is the state after the user's own last event, within int8 rounding.
            user.embeddings.forEach((embedding, i) => {
              expectAllClose(embedding as Float32Array, wholeStates[i] as Float32Array);
            });
            const last = wholeStates[wholeStates.length - 1] as Float32Array;
            const vectors = architecture === 'lstm' ? 2 : 1;
            const stored = decodeModelState(user.modelState as Buffer, modelTag('v1'), vectors, 16)?.[0];
            const quantum = Math.max(...last.map(Math.abs)) / 127;
            expectAllClose(stored as Float32Array, last, quantum);
          }
        });
      }
      expect(compared).toBe(20);
      m.dispose();
    });
  }

  it('rebuilds from the window a missing state, one of another model version, or after an out-of-order event', () => {
    const m = model('gru');
    const events = history(5, 8);
    const first = new IncrementalScorer(m, 'v1', 5).score([
      { modelState: Buffer.alloc(0), events: stepsOf(events, 0, 7) },
    ]);
    const state = first[0]?.modelState as Buffer;
    const counts: StepCounts = { stepped: 0, rebuiltMissing: 0, rebuiltVersion: 0, rebuiltReordered: 0 };
    const next: UserSteps = { modelState: state, events: stepsOf(events, 7, 8) };
    const [other] = new IncrementalScorer(m, 'v2', 5).score([next], counts);
    const [reordered] = new IncrementalScorer(m, 'v1', 5).score(
      [{ ...next, events: [{ ...(next.events[0] as UserSteps['events'][number]), placed: true }] }],
      counts,
    );
    const [missing] = new IncrementalScorer(m, 'v1', 5).score(
      [{ ...next, modelState: Buffer.alloc(0) }],
      counts,
    );
    expect(counts).toEqual({ stepped: 0, rebuiltMissing: 1, rebuiltVersion: 1, rebuiltReordered: 1 });
    const [whole] = predictLast(m, [events], 5);
    expect(other?.predictions[0]).toEqual(whole);
    expect(reordered?.predictions[0]).toEqual(whole);
    expect(missing?.predictions[0]).toEqual(whole);
    m.dispose();
  });

  it('attention scores from the window and keeps no state', () => {
    const m = model('attention');
    const events = history(6, 9);
    const [scored] = new IncrementalScorer(m, 'v1', 5).score([
      { modelState: Buffer.alloc(0), events: stepsOf(events, 8, 9) },
    ]);
    expect(scored?.modelState).toBeNull();
    expect(scored?.predictions).toEqual(predictLast(m, [events], 5));
    m.dispose();
  });

  it('stores a state in int8 with a scale, tagged with the model version', () => {
    const h = Float32Array.from({ length: 64 }, (_, i) => Math.sin(i) * 0.9);
    const encoded = encodeModelState(modelTag('v1'), [h]);
    expect(encoded.length).toBe(5 + 4 + 64);
    const [decoded] = decodeModelState(encoded, modelTag('v1'), 1, 64) ?? [];
    expect(Math.max(...h.map((value, i) => Math.abs(value - (decoded?.[i] as number))))).toBeLessThan(
      0.9 / 127,
    );
    expect(decodeModelState(encoded as Buffer, modelTag('v2'), 1, 64)).toBeUndefined();
    expect(decodeModelState(encoded as Buffer, modelTag('v1'), 2, 64)).toBeUndefined();
  });
});
