import * as tf from '@tensorflow/tfjs';

import type { WasmBackendInternals } from './wasmInternals.js';

interface GatherAttrs {
  axis: number;
  batchDims: number;
}

/**
 * Embedding lookups (GatherV2 on axis 0) copy whole rows. The stock WASM kernel walks every element
 * through generic strides: 60 ms for 25,000 rows of 32 floats, more than the rest of a scoring
 * batch. This one copies each row with one memmove inside the WASM heap (about 1 ms) and hands
 * every other gather to the stock kernel.
 */
let registered = false;

export function registerWasmGather(): void {
  const stock = tf.getKernel('GatherV2', 'wasm');
  if (registered || !stock) return;
  registered = true;
  const kernelFunc: tf.KernelFunc = (args) => {
    const { x, indices } = args.inputs as { x: tf.TensorInfo; indices: tf.TensorInfo };
    const { axis, batchDims } = args.attrs as unknown as GatherAttrs;
    const backend = args.backend as unknown as WasmBackendInternals;
    const rows = x.shape[0] ?? 0;
    const bytesPerValue = x.dtype === 'float32' || x.dtype === 'int32' ? 4 : 0;
    if (axis !== 0 || batchDims !== 0 || bytesPerValue === 0 || x.shape.length === 0)
      return stock.kernelFunc(args);
    const rowBytes = x.shape.slice(1).reduce((product, size) => product * size, 1) * bytesPerValue;
    const count = indices.shape.reduce((product, size) => product * size, 1);
    const out = backend.makeOutput([...indices.shape, ...x.shape.slice(1)], x.dtype);
    // Offsets are read after makeOutput: an allocation may grow, and so replace, the heap's buffer.
    const from = backend.dataIdMap.get(x.dataId)?.memoryOffset as number;
    const to = backend.dataIdMap.get(out.dataId)?.memoryOffset as number;
    const at = (backend.dataIdMap.get(indices.dataId)?.memoryOffset as number) / 4;
    const { HEAPU8, HEAP32 } = backend.wasm;
    for (let i = 0; i < count; i++) {
      const index = HEAP32[at + i] as number;
      if (index < 0 || index >= rows)
        throw new Error(`GatherV2: the index value ${index} is not in [0, ${rows - 1}]`);
      HEAPU8.copyWithin(to + i * rowBytes, from + index * rowBytes, from + (index + 1) * rowBytes);
    }
    return out;
  };
  tf.unregisterKernel('GatherV2', 'wasm');
  tf.registerKernel({ ...stock, kernelFunc });
}
