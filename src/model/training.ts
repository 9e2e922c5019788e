import * as tf from '@tensorflow/tfjs';
import { ActionVocabulary } from '../events/actionVocabulary.js';
import type { UserEvent } from '../events/event.js';
import { seededRandom } from '../events/random.js';
import { encodeSequences } from '../features/sequenceEncoding.js';
import { buildGruModel } from './gruModel.js';
import type { ModelMetadata } from './modelMetadata.js';
import { buildExamples } from './trainingData.js';

export interface TrainOptions {
  actions: readonly string[];
  churnHorizonMs: number;
  epochs: number;
  seed: number;
  hiddenUnits: number;
  /** Events of history per training example; scoring may use longer windows. */
  trainLength: number;
  /** Longest history the model reads when scoring. */
  maxSequenceLength: number;
  maxExamples: number;
  batchSize: number;
  source: string;
  onEpochEnd?: (epoch: number, loss: number) => void;
  onBatchEnd?: (batch: number, batchesPerEpoch: number) => void;
}

export interface TrainedModel {
  model: tf.LayersModel;
  metadata: ModelMetadata;
}

export async function trainGruModel(
  events: readonly UserEvent[],
  options: TrainOptions,
): Promise<TrainedModel> {
  const vocabulary = new ActionVocabulary(options.actions);
  const examples = buildExamples(events, {
    maxHistory: options.trainLength,
    churnHorizonMs: options.churnHorizonMs,
    maxExamples: options.maxExamples,
    random: seededRandom(options.seed),
  });
  if (examples.length === 0) {
    throw new Error('no training examples: the events need users with at least two events each');
  }
  const batch = encodeSequences(
    examples.map((example) => example.history),
    vocabulary,
    options.trainLength,
  );
  const model = buildGruModel({
    actionCount: vocabulary.size,
    hiddenUnits: options.hiddenUnits,
    seed: options.seed,
  });
  model.compile({
    optimizer: tf.train.adam(0.005),
    loss: ['sparseCategoricalCrossentropy', 'binaryCrossentropy'],
  });
  const inputs = [
    tf.tensor2d(batch.actions, [batch.batchSize, batch.length], 'int32'),
    tf.tensor3d(batch.gaps, [batch.batchSize, batch.length, 1]),
  ];
  const labels = [
    tf.tensor1d(examples.map((example) => vocabulary.indexOf(example.nextAction) ?? 0)),
    tf.tensor2d(
      examples.map((example) => (example.churned ? 1 : 0)),
      [examples.length, 1],
    ),
  ];
  const batchesPerEpoch = Math.ceil(examples.length / options.batchSize);
  let finalLoss: number | null = null;
  try {
    await model.fit(inputs, labels, {
      epochs: options.epochs,
      batchSize: options.batchSize,
      shuffle: false,
      verbose: 0,
      callbacks: {
        onBatchEnd: async (batchIndex) => options.onBatchEnd?.(batchIndex + 1, batchesPerEpoch),
        onEpochEnd: async (epoch, logs) => {
          finalLoss = logs?.loss ?? null;
          options.onEpochEnd?.(epoch + 1, finalLoss ?? Number.NaN);
        },
      },
    });
  } finally {
    tf.dispose([...inputs, ...labels]);
  }
  const createdAt = new Date();
  const metadata: ModelMetadata = {
    formatVersion: 1,
    version: `gru-${createdAt.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '')}-s${options.seed}`,
    architecture: 'gru',
    actions: [...vocabulary.actions],
    maxSequenceLength: options.maxSequenceLength,
    hiddenUnits: options.hiddenUnits,
    churnHorizonMs: options.churnHorizonMs,
    createdAt: createdAt.toISOString(),
    training: {
      source: options.source,
      events: events.length,
      examples: examples.length,
      epochs: options.epochs,
      seed: options.seed,
      finalLoss,
    },
  };
  return { model, metadata };
}
