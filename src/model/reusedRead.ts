import * as tf from '@tensorflow/tfjs';
import type { WasmBackendInternals } from './kernels/wasmInternals.js';

/**
 * Reads float32 tensors into one array that each read overwrites, for a large result read once
 * per micro-batch. On the WASM backend, dataSync slices the heap into a new ArrayBuffer: for the
 * explore softmax of 500 events that is 4 MB a micro-batch, and the allocation (fresh zeroed
 * pages, and V8 counting it as external memory, which brings collections forward) cost more than
 * the copy itself: 1.9 to 2.5 µs a row against 0.7 to 0.9 for a copy into a kept array. Other
 * backends keep their own copy, so dataSync's is returned as it is.
 */
export class ReusedRead {
  private values = new Float32Array(0);

  /** The tensor's values; the array is valid until the next read. */
  read(tensor: tf.Tensor): Float32Array {
    if (tensor.dtype !== 'float32') throw new Error(`ReusedRead reads float32 tensors, not ${tensor.dtype}`);
    const backend =
      tf.getBackend() === 'wasm' ? (tf.backend() as unknown as WasmBackendInternals) : undefined;
    // A tensor made before the backend was switched is not in the heap until dataSync moves it.
    if (!backend?.dataIdMap.get(tensor.dataId)) return tensor.dataSync() as Float32Array;
    const heap = backend.typedArrayFromHeap(tensor);
    if (this.values.length < heap.length) this.values = new Float32Array(heap.length);
    const values = this.values.subarray(0, heap.length);
    values.set(heap);
    return values;
  }
}
