import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/model/backend.js';

/**
 * The same ops on WASM and on the pure-JS backend, the reference. Ends on the pure-JS backend,
 * which the other test files in a worker expect, even when `compute` throws.
 */
export async function onBoth<T>(compute: () => T): Promise<{ wasm: T; cpu: T }> {
  try {
    await initBackend('wasm', 'inference');
    const wasm = compute();
    await initBackend('cpu', 'inference');
    return { wasm, cpu: compute() };
  } finally {
    await initBackend('cpu', 'inference');
  }
}

/** offset, offset + 1, ... in `shape`: a value copied from the wrong place shows. */
export function countingTensor(
  shape: number[],
  offset = 0,
  dtype: 'float32' | 'int32' = 'float32',
): tf.Tensor {
  return tf.tensor(
    Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => offset + i),
    shape,
    dtype,
  );
}
