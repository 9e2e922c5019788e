import { readFileSync, writeFileSync } from 'node:fs';
import { cp, stat, truncate } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { createMetrics } from '../../src/metrics/metrics.js';
import type { LoadedModel } from '../../src/model/modelFolder.js';
import { loadCheckedModel, ModelRefusedError, ModelSwitch } from '../../src/worker/modelSwitch.js';
import { untrainedModelFolder } from '../helpers/integration.js';

const ACTIONS = ['view', 'cart', 'fav', 'purchase'];
const check = { actions: ACTIONS, topK: 5, exploreCandidates: 0 };

/** A copy of a model folder as version `version` in `root`, changed by `damage`. */
async function variant(source: string, version: string, damage: (folder: string) => Promise<void> | void) {
  const folder = join(dirname(source), version);
  await cp(source, folder, { recursive: true });
  const file = join(folder, 'seqscore.json');
  writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), version }));
  await damage(folder);
  return folder;
}

function isDisposed(loaded: LoadedModel): boolean {
  return Object.values(loaded.model.params.named()).every((tensor) => tensor.isDisposed);
}

describe('model switch', () => {
  let source: string;

  beforeAll(async () => {
    source = await untrainedModelFolder(ACTIONS, 8);
  });

  it('loads and tries a sound model folder', async () => {
    const active = await loadCheckedModel(source, check, 'gru-it-untrained');
    expect(active.scorer.version).toBe('gru-it-untrained');
    expect(active.evaluation).toEqual({});
    active.loaded.model.dispose();
  });

  it.each([
    [
      'bad JSON',
      (folder: string) => writeFileSync(join(folder, 'seqscore.json'), '{"formatVersion": 2,'),
      /cannot read/,
    ],
    [
      'truncated weights',
      (folder: string) => truncate(join(folder, 'weights.bin'), 64),
      /bytes, the manifest needs/,
    ],
    [
      'other actions',
      (folder: string) => {
        const file = join(folder, 'seqscore.json');
        const metadata = JSON.parse(readFileSync(file, 'utf8'));
        metadata.vocabularies.actions = ['view', 'buy', 'fav', 'cart'];
        writeFileSync(file, JSON.stringify(metadata));
      },
      /trained on actions \[view, buy, fav, cart\]/,
    ],
    [
      'weights that are not numbers',
      async (folder: string) => {
        const size = (await stat(join(folder, 'weights.bin'))).size;
        writeFileSync(join(folder, 'weights.bin'), Buffer.alloc(size, 0xff));
      },
      /no finite scores/,
    ],
  ])('refuses a folder with %s', async (label, damage, message) => {
    const version = `refused-${label.replace(/\W+/g, '-')}`;
    const folder = await variant(source, version, damage);
    const refused = loadCheckedModel(folder, check, version);
    await expect(refused).rejects.toBeInstanceOf(ModelRefusedError);
    await expect(refused).rejects.toThrow(message);
  });

  it('refuses a folder that holds another version than the registry says', async () => {
    await expect(loadCheckedModel(source, check, 'gru-other')).rejects.toThrow(
      /holds model gru-it-untrained/,
    );
  });

  it('switches between batches, frees the old model after the batch in flight, and refuses a bad one once', async () => {
    const metrics = createMetrics();
    const initial = await loadCheckedModel(source, check);
    await variant(source, 'gru-next', () => undefined);
    await variant(source, 'gru-broken', (folder) => truncate(join(folder, 'weights.bin'), 10));
    const models = new ModelSwitch(initial, {
      check,
      folderOf: (version) => join(dirname(source), version),
      metrics,
      backend: 'cpu',
      logger: createLogger('silent'),
    });

    let finishBatch: () => void = () => undefined;
    const batch = models.during(async () => {
      const scorer = models.scorer();
      await new Promise<void>((resolve) => {
        finishBatch = resolve;
      });
      return scorer.version;
    });
    expect(await models.offer('gru-next')).toBe('switched');
    expect(models.scorer().version).toBe('gru-next');
    // The batch in flight keeps the model it started with until it ends.
    expect(isDisposed(initial.loaded)).toBe(false);
    finishBatch();
    expect(await batch).toBe('gru-it-untrained');
    expect(isDisposed(initial.loaded)).toBe(true);

    expect(await models.offer('gru-broken')).toBe('refused');
    expect(await models.offer('gru-broken')).toBe('unchanged');
    expect(models.version).toBe('gru-next');
    const swaps = (await metrics.modelSwaps.get()).values;
    expect(swaps.find((v) => v.labels.result === 'switched')?.value).toBe(1);
    expect(swaps.find((v) => v.labels.result === 'refused')?.value).toBe(1);
    const info = (await metrics.modelInfo.get()).values;
    expect(info.map((v) => v.labels.version)).toEqual(['gru-next']);
    models.close();
  });
});
