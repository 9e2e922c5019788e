import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ActionVocabulary } from '../../src/events/actionVocabulary.js';
import { IdVocabulary } from '../../src/features/idVocabulary.js';
import { encodeSequences } from '../../src/features/sequenceEncoding.js';
import { initBackend } from '../../src/model/backend.js';
import { ARCHITECTURES } from '../../src/model/encoders.js';
import { predictLast } from '../../src/model/inference.js';
import { loadModelFolder, ModelLoadError, saveModelFolder } from '../../src/model/modelFolder.js';
import { batchTensors, DEFAULT_MODEL_CONFIG, SequenceModel } from '../../src/model/sequenceModel.js';
import { untrainedMetadata } from '../helpers/modelMetadata.js';

const vocabularies = {
  actions: new ActionVocabulary(['view', 'cart', 'fav', 'purchase']),
  items: new IdVocabulary(['i1', 'i2', 'i3'], 4),
  categories: new IdVocabulary(['c1'], 2),
};
const config = { ...DEFAULT_MODEL_CONFIG, hiddenSize: 8, itemEmbeddingSize: 8, maxLength: 10 };
const at = (itemId: string, action: string, seconds: number) => ({
  itemId,
  categoryId: 'c1',
  action,
  tsMs: seconds * 1000,
});
const history = [
  at('i1', 'view', 0),
  at('i2', 'view', 30),
  at('i1', 'cart', 90),
  at('rare', 'purchase', 4000),
];

beforeAll(async () => {
  await initBackend('cpu', 'training');
});

describe.each(ARCHITECTURES)('%s model', (architecture) => {
  let model: SequenceModel;
  beforeAll(async () => {
    await initBackend('cpu', 'training');
    model = SequenceModel.create({ ...config, architecture }, vocabularies, 3);
  });

  it('scores a history the same however much padding its batch needs', () => {
    const [alone] = predictLast(model, [history.slice(0, 2)], 5);
    const [padded] = predictLast(model, [history.slice(0, 2), history], 5);
    alone?.nextAction.forEach((p, i) => {
      expect(padded?.nextAction[i]).toBeCloseTo(p, 5);
    });
    expect(padded?.churn).toBeCloseTo(alone?.churn ?? -1, 5);
    expect(padded?.nextItems.map((item) => item.itemId)).toEqual(alone?.nextItems.map((item) => item.itemId));
    expect(alone?.nextAction.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
  });

  it('never lets a step see later steps', () => {
    const states = (events: typeof history) =>
      tf.tidy(() => {
        const batch = encodeSequences([events], vocabularies, config.maxLength);
        return model.steps(batchTensors(batch)).states.arraySync()[0] as number[][];
      });
    const short = states(history.slice(0, 2));
    const long = states(history);
    short.forEach((row, t) => {
      row.forEach((value, j) => {
        expect(long[t]?.[j]).toBeCloseTo(value, 5);
      });
    });
  });

  it('ranks history items, rare ones included, with probabilities', () => {
    const [prediction] = predictLast(model, [history], 10);
    const ids = prediction?.nextItems.map((item) => item.itemId) ?? [];
    expect(ids).toContain('rare');
    expect(new Set(ids).size).toBe(ids.length);
    const scores = prediction?.nextItems.map((item) => item.score) ?? [];
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    expect(scores.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(1 + 1e-5);
  });
});

describe('model folder', () => {
  it('saves and loads a model that scores identically', async () => {
    const folder = join(mkdtempSync(join(tmpdir(), 'seqscore-model-')), 'm');
    const model = SequenceModel.create(config, vocabularies, 9);
    await saveModelFolder(folder, model, untrainedMetadata(model, 'test-model'));
    const loaded = await loadModelFolder(folder);
    expect(loaded.metadata.version).toBe('test-model');
    expect(predictLast(loaded.model, [history], 5)).toEqual(predictLast(model, [history], 5));
    await saveModelFolder(folder, model, {
      ...untrainedMetadata(model, 'test-model'),
      version: 'test-model-2',
    });
    expect((await loadModelFolder(folder)).metadata.version).toBe('test-model-2');
  });

  it('refuses truncated weights and foreign metadata with a ModelLoadError', async () => {
    const folder = join(mkdtempSync(join(tmpdir(), 'seqscore-model-')), 'm');
    const model = SequenceModel.create(config, vocabularies, 1);
    await saveModelFolder(folder, model, untrainedMetadata(model, 'test-model'));
    const weights = readFileSync(join(folder, 'weights.bin'));
    writeFileSync(join(folder, 'weights.bin'), weights.subarray(0, weights.length - 4));
    await expect(loadModelFolder(folder)).rejects.toThrow(ModelLoadError);
    writeFileSync(join(folder, 'seqscore.json'), '{"formatVersion": 1}');
    await expect(loadModelFolder(folder)).rejects.toThrow(/not seqscore model metadata/);
    await expect(loadModelFolder(join(folder, 'missing'))).rejects.toThrow(ModelLoadError);
  });

  it('refuses weights whose shapes another version of the model had', async () => {
    const folder = join(mkdtempSync(join(tmpdir(), 'seqscore-model-')), 'm');
    const model = SequenceModel.create(config, vocabularies, 1);
    await saveModelFolder(folder, model, {
      ...untrainedMetadata(model, 'test-model'),
      model: { ...config, hiddenSize: config.hiddenSize + 1 },
    });
    await expect(loadModelFolder(folder)).rejects.toThrow(/enc\.wh is \d+x\d+, needs/);
    model.dispose();
  });

  it('keeps no tensors alive after scoring', () => {
    const model = SequenceModel.create(config, vocabularies, 1);
    predictLast(model, [history], 5);
    const before = tf.memory().numTensors;
    predictLast(model, [history, history.slice(0, 1)], 5);
    expect(tf.memory().numTensors).toBe(before);
  });
});
