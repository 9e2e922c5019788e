import * as tf from '@tensorflow/tfjs';
import type { BenchModelSpec } from './benchModel.js';
import type { TrainBatch } from './training.js';

/** A small deterministic generator, so every backend sees the same batches. */
export function lcg(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

function ids(count: number, from: number, to: number, next: () => number): Int32Array {
  return Int32Array.from({ length: count }, () => from + Math.floor(next() * (to - from)));
}

/** Random full-length sequences: item ids 1..items-1 (0 is padding), actions 1..A, gaps in [0, 1). */
export function randomTrainBatch(
  spec: BenchModelSpec,
  batchSize: number,
  length: number,
  seed: number,
): TrainBatch {
  const next = lcg(seed);
  const cells = batchSize * length;
  return {
    items: tf.tensor2d(ids(cells, 1, spec.items, next), [batchSize, length], 'int32'),
    actions: tf.tensor2d(ids(cells, 1, spec.actions + 1, next), [batchSize, length], 'int32'),
    gaps: tf.tensor3d(Float32Array.from({ length: cells }, next), [batchSize, length, 1]),
    nextAction: tf.tensor1d(ids(batchSize, 0, spec.actions, next), 'int32'),
    churn: tf.tensor2d(ids(batchSize, 0, 2, next), [batchSize, 1], 'float32'),
    nextItem: tf.tensor1d(ids(batchSize, 1, spec.items, next), 'int32'),
  };
}

export function disposeBatch(batch: TrainBatch): void {
  tf.dispose(Object.values(batch));
}
