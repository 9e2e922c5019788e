import type * as tf from '@tensorflow/tfjs';

/**
 * What this project's WASM kernels use of the backend's internals (tfjs-backend-wasm 4.22): its
 * tensors live in the WASM heap, and reading them in place avoids the copies of readSync.
 */
export interface WasmBackendInternals {
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  wasm: { HEAPU8: Uint8Array; HEAP32: Int32Array };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}
