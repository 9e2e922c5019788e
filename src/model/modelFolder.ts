import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { ActionVocabulary } from '../events/actionVocabulary.js';
import { IdVocabulary } from '../features/idVocabulary.js';
import { type ModelMetadata, modelMetadataSchema } from './modelMetadata.js';
import { Params } from './params.js';
import { SequenceModel } from './sequenceModel.js';

/**
 * A model on disk is one folder: seqscore.json (configuration, vocabularies, weight manifest) and
 * weights.bin (TensorFlow.js's weight encoding), plus evaluation.json when training evaluated it.
 * Pure tfjs has no file:// handler, so the weights go through tf.io's in-memory encoding. A save
 * writes a sibling folder and renames it into place, so a reader never sees half a model.
 */
const METADATA_FILE = 'seqscore.json';
const WEIGHTS_FILE = 'weights.bin';
export const EVALUATION_FILE = 'evaluation.json';

export interface LoadedModel {
  model: SequenceModel;
  metadata: ModelMetadata;
}

export class ModelLoadError extends Error {
  override readonly name = 'ModelLoadError';
}

export async function saveModelFolder(
  folder: string,
  model: SequenceModel,
  metadata: Omit<ModelMetadata, 'weights'>,
  evaluation?: unknown,
): Promise<ModelMetadata> {
  const staging = `${folder}.staging-${process.pid}-${Date.now()}`;
  await mkdir(staging, { recursive: true });
  try {
    const { data, specs } = await tf.io.encodeWeights(model.params.named());
    const complete: ModelMetadata = {
      ...metadata,
      weights: specs.map(({ name, shape, dtype }) => ({ name, shape, dtype })),
    };
    await writeFile(join(staging, WEIGHTS_FILE), Buffer.from(tf.io.CompositeArrayBuffer.join(data)));
    await writeFile(join(staging, METADATA_FILE), `${JSON.stringify(complete, null, 2)}\n`);
    if (evaluation !== undefined)
      await writeFile(join(staging, EVALUATION_FILE), `${JSON.stringify(evaluation, null, 2)}\n`);
    await mkdir(dirname(folder), { recursive: true });
    const previous = `${folder}.previous-${process.pid}-${Date.now()}`;
    await rename(folder, previous).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
    await rename(staging, folder);
    await rm(previous, { recursive: true, force: true });
    return complete;
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
}

async function readJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new ModelLoadError(`cannot read ${path}: ${(error as Error).message}`);
  }
}

/** The model's metadata alone, without loading its weights. */
export async function readModelMetadata(folder: string): Promise<ModelMetadata> {
  const metadata = modelMetadataSchema.safeParse(await readJson(join(folder, METADATA_FILE)));
  if (!metadata.success) {
    throw new ModelLoadError(
      `${join(folder, METADATA_FILE)} is not seqscore model metadata: ${metadata.error.message}`,
    );
  }
  return metadata.data;
}

function manifestVocabularies(metadata: ModelMetadata) {
  return {
    actions: new ActionVocabulary(metadata.vocabularies.actions),
    items: IdVocabulary.fromJSON(metadata.vocabularies.items),
    categories: IdVocabulary.fromJSON(metadata.vocabularies.categories),
  };
}

/**
 * Why this version cannot serve a model with this manifest, or undefined when it can: a weight the
 * model needs is missing, or has another shape (a folder saved by a version with other step features).
 */
export function weightsMismatch(metadata: ModelMetadata): string | undefined {
  const shapes = new Map(metadata.weights.map((weight) => [weight.name, weight.shape.join('x')]));
  const specs = SequenceModel.paramSpecs(metadata.model, manifestVocabularies(metadata));
  const missing = Object.keys(specs).filter((name) => !shapes.has(name));
  if (missing.length > 0) {
    return `lacks weights ${missing.join(', ')} for a ${metadata.model.architecture} model`;
  }
  const misshapen = Object.entries(specs).filter(([name, spec]) => shapes.get(name) !== spec.shape.join('x'));
  if (misshapen.length > 0) {
    return `has weights of the wrong shape for this version: ${misshapen
      .map(([name, spec]) => `${name} is ${shapes.get(name)}, needs ${spec.shape.join('x')}`)
      .join('; ')}`;
  }
  return undefined;
}

export async function loadModelFolder(folder: string): Promise<LoadedModel> {
  const metadata = await readModelMetadata(folder);
  let data: Buffer;
  try {
    data = await readFile(join(folder, WEIGHTS_FILE));
  } catch (error) {
    throw new ModelLoadError(`cannot read ${join(folder, WEIGHTS_FILE)}: ${(error as Error).message}`);
  }
  const expectedBytes = metadata.weights.reduce(
    (sum, spec) => sum + spec.shape.reduce((a, b) => a * b, 1) * 4,
    0,
  );
  if (data.byteLength !== expectedBytes) {
    throw new ModelLoadError(
      `${join(folder, WEIGHTS_FILE)} has ${data.byteLength} bytes, the manifest needs ${expectedBytes}`,
    );
  }
  const vocabularies = manifestVocabularies(metadata);
  const mismatch = weightsMismatch(metadata);
  if (mismatch) throw new ModelLoadError(`${folder} ${mismatch}`);
  const buffer = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer;
  const params = Params.fromTensors(
    tf.io.decodeWeights(buffer, metadata.weights as tf.io.WeightsManifestEntry[]),
  );
  return { model: new SequenceModel(metadata.model, vocabularies, params), metadata };
}
