import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/model/backend.js';
import { buildGruModel } from '../../src/model/gruModel.js';
import { loadModelFolder, ModelLoadError, saveModelFolder } from '../../src/model/modelFolder.js';
import type { ModelMetadata } from '../../src/model/modelMetadata.js';
import { Scorer } from '../../src/model/scorer.js';

const ACTIONS = ['view', 'cart', 'fav', 'purchase'];
const metadata: ModelMetadata = {
  formatVersion: 1,
  version: 'gru-test',
  architecture: 'gru',
  actions: ACTIONS,
  maxSequenceLength: 50,
  hiddenUnits: 8,
  churnHorizonMs: 3_600_000,
  createdAt: new Date(0).toISOString(),
  training: { source: 'test', events: 0, examples: 0, epochs: 0, seed: 1, finalLoss: null },
};
const at = (action: string, seconds: number) => ({ action, tsMs: seconds * 1000 });
const history = [at('view', 0), at('view', 30), at('cart', 90), at('purchase', 4000)];

beforeAll(async () => {
  await initBackend('cpu', 'training');
});

describe('GRU model', () => {
  it('gives the same scores to a history however much padding its batch needs', () => {
    const scorer = new Scorer({
      model: buildGruModel({ actionCount: 4, hiddenUnits: 8, seed: 3 }),
      metadata,
    });
    const [alone] = scorer.score([history.slice(0, 2)]);
    const [padded] = scorer.score([history.slice(0, 2), history]);
    expect(alone).toBeDefined();
    for (const action of ACTIONS)
      expect(padded?.nextAction[action]).toBeCloseTo(alone?.nextAction[action] ?? -1, 5);
    expect(padded?.churn).toBeCloseTo(alone?.churn ?? -1, 5);
    const sum = Object.values(alone?.nextAction ?? {}).reduce((a, b) => a + b, 0);
    expect(sum).toBeCloseTo(1, 5);
  });

  it('is reproducible from its seed', () => {
    const a = new Scorer({
      model: buildGruModel({ actionCount: 4, hiddenUnits: 8, seed: 5 }),
      metadata,
    }).score([history]);
    const b = new Scorer({
      model: buildGruModel({ actionCount: 4, hiddenUnits: 8, seed: 5 }),
      metadata,
    }).score([history]);
    expect(a).toEqual(b);
  });

  it('refuses to run with a different action vocabulary', () => {
    const scorer = new Scorer({ model: buildGruModel({ actionCount: 4, hiddenUnits: 8 }), metadata });
    expect(() => scorer.assertActions(['view', 'cart'])).toThrow(/trained on actions/);
    expect(() => scorer.assertActions(ACTIONS)).not.toThrow();
  });
});

describe('model folder', () => {
  it('saves and loads a model that scores identically', async () => {
    const folder = join(mkdtempSync(join(tmpdir(), 'seqscore-model-')), 'm');
    const model = buildGruModel({ actionCount: 4, hiddenUnits: 8, seed: 9 });
    await saveModelFolder(folder, model, metadata);
    const loaded = await loadModelFolder(folder);
    expect(loaded.metadata).toEqual(metadata);
    expect(new Scorer(loaded).score([history])).toEqual(new Scorer({ model, metadata }).score([history]));
    // Saving again over an existing folder replaces it whole.
    await saveModelFolder(folder, model, { ...metadata, version: 'gru-test-2' });
    expect((await loadModelFolder(folder)).metadata.version).toBe('gru-test-2');
  });

  it('refuses truncated weights and foreign metadata with a ModelLoadError', async () => {
    const folder = join(mkdtempSync(join(tmpdir(), 'seqscore-model-')), 'm');
    await saveModelFolder(folder, buildGruModel({ actionCount: 4, hiddenUnits: 8 }), metadata);
    const weights = readFileSync(join(folder, 'weights.bin'));
    writeFileSync(join(folder, 'weights.bin'), weights.subarray(0, weights.length - 4));
    await expect(loadModelFolder(folder)).rejects.toThrow(ModelLoadError);
    writeFileSync(join(folder, 'seqscore.json'), '{"formatVersion": 2}');
    await expect(loadModelFolder(folder)).rejects.toThrow(/not seqscore model metadata/);
    await expect(loadModelFolder(join(folder, 'missing'))).rejects.toThrow(ModelLoadError);
  });

  it('keeps no tensors alive after scoring', () => {
    const scorer = new Scorer({ model: buildGruModel({ actionCount: 4, hiddenUnits: 8 }), metadata });
    scorer.score([history]);
    const before = tf.memory().numTensors;
    scorer.score([history, history]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
