import * as tf from '@tensorflow/tfjs';

type NumericArray = Float32Array | Int32Array;

/**
 * Adds each row of `x` (rows of `rowSize` values) into row `segmentIds[i]` of `out`, in one pass.
 * Ids outside [0, numSegments) are skipped, as the reference kernel does.
 */
export function segmentSumRows(
  x: NumericArray,
  segmentIds: Int32Array,
  rowSize: number,
  out: NumericArray,
): void {
  const numSegments = out.length / rowSize;
  for (let row = 0; row < segmentIds.length; row++) {
    const segment = segmentIds[row] as number;
    if (segment < 0 || segment >= numSegments) continue;
    const from = row * rowSize;
    const to = segment * rowSize;
    for (let j = 0; j < rowSize; j++) out[to + j] = (out[to + j] as number) + (x[from + j] as number);
  }
}

/**
 * UnsortedSegmentSum is the gradient of Gather, so of every embedding lookup. The stock CPU kernel
 * makes one masked pass over the input per output row (hours per batch for a 50k-item vocabulary),
 * and WASM has none at all. This one reads the inputs, scatters in JS and writes the result through
 * the backend's generic storage API, so it serves any backend that lacks a fast native one.
 */
const unsortedSegmentSumKernel: tf.KernelFunc = ({ inputs, attrs, backend }) => {
  const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
  const { numSegments } = attrs as unknown as { numSegments: number };
  const storage = backend as tf.KernelBackend;
  const rowSize = x.shape.slice(1).reduce((product, size) => product * size, 1);
  const values = storage.readSync(x.dataId) as NumericArray;
  const ids = Int32Array.from(storage.readSync(segmentIds.dataId) as NumericArray);
  const out =
    x.dtype === 'int32' ? new Int32Array(numSegments * rowSize) : new Float32Array(numSegments * rowSize);
  segmentSumRows(values, ids, rowSize, out);
  const shape = [numSegments, ...x.shape.slice(1)];
  return { dataId: storage.write(out, shape, x.dtype), shape, dtype: x.dtype };
};

/** Replaces (CPU) or adds (WASM) the UnsortedSegmentSum kernel of a JS-hosted backend. */
export function registerUnsortedSegmentSum(backendName: 'cpu' | 'wasm'): void {
  if (tf.getKernel('UnsortedSegmentSum', backendName)) tf.unregisterKernel('UnsortedSegmentSum', backendName);
  tf.registerKernel({ kernelName: 'UnsortedSegmentSum', backendName, kernelFunc: unsortedSegmentSumKernel });
}
