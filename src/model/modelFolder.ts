import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { type ModelMetadata, modelMetadataSchema } from './modelMetadata.js';

/**
 * A model on disk is one folder: TensorFlow.js's model.json and weights.bin, plus seqscore.json.
 * Pure tfjs has no file:// handler, so saving and loading go through in-memory artifacts. A save
 * writes a sibling folder and renames it into place, so a reader never sees half a model.
 */

const TOPOLOGY_FILE = 'model.json';
const WEIGHTS_FILE = 'weights.bin';
const METADATA_FILE = 'seqscore.json';

export interface LoadedModel {
  model: tf.LayersModel;
  metadata: ModelMetadata;
}

export class ModelLoadError extends Error {
  override readonly name = 'ModelLoadError';
}

export async function saveModelFolder(
  folder: string,
  model: tf.LayersModel,
  metadata: ModelMetadata,
): Promise<void> {
  const staging = `${folder}.staging-${process.pid}-${Date.now()}`;
  await mkdir(staging, { recursive: true });
  try {
    await model.save(
      tf.io.withSaveHandler(async (artifacts) => {
        const weights = tf.io.CompositeArrayBuffer.join(artifacts.weightData);
        const modelJson = {
          format: artifacts.format,
          generatedBy: artifacts.generatedBy,
          convertedBy: artifacts.convertedBy,
          modelTopology: artifacts.modelTopology,
          weightsManifest: [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs ?? [] }],
        };
        await writeFile(join(staging, WEIGHTS_FILE), Buffer.from(weights));
        await writeFile(join(staging, TOPOLOGY_FILE), JSON.stringify(modelJson));
        return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
      }),
    );
    await writeFile(join(staging, METADATA_FILE), `${JSON.stringify(metadata, null, 2)}\n`);
    await mkdir(dirname(folder), { recursive: true });
    const previous = `${folder}.previous-${process.pid}-${Date.now()}`;
    await rename(folder, previous).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
    await rename(staging, folder);
    await rm(previous, { recursive: true, force: true });
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

export async function loadModelFolder(folder: string): Promise<LoadedModel> {
  const metadata = await readModelMetadata(folder);
  const modelJson = (await readJson(join(folder, TOPOLOGY_FILE))) as tf.io.ModelJSON;
  const weightSpecs = modelJson.weightsManifest?.flatMap((group) => group.weights);
  if (!modelJson.modelTopology || !weightSpecs) {
    throw new ModelLoadError(`${join(folder, TOPOLOGY_FILE)} lacks a topology or weights manifest`);
  }
  let weightData: Buffer;
  try {
    weightData = await readFile(join(folder, WEIGHTS_FILE));
  } catch (error) {
    throw new ModelLoadError(`cannot read ${join(folder, WEIGHTS_FILE)}: ${(error as Error).message}`);
  }
  const expectedBytes = weightSpecs.reduce(
    (sum, spec) => sum + spec.shape.reduce((product, dim) => product * dim, 1) * 4,
    0,
  );
  if (weightData.byteLength !== expectedBytes) {
    throw new ModelLoadError(
      `${join(folder, WEIGHTS_FILE)} has ${weightData.byteLength} bytes, the manifest needs ${expectedBytes}`,
    );
  }
  const model = await tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: modelJson.modelTopology,
      weightSpecs,
      weightData: weightData.buffer.slice(
        weightData.byteOffset,
        weightData.byteOffset + weightData.byteLength,
      ),
    }),
  );
  return { model, metadata };
}
