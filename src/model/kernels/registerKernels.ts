import '@tensorflow/tfjs-backend-wasm';
import { registerUnsortedSegmentSum } from './unsortedSegmentSum.js';
import { registerWasmBatchMatMul } from './wasmBatchMatMul.js';

/**
 * Registers the kernels that make the always-available backends able to train at a useful speed.
 * Native backends (tfjs-node) keep their own kernels. Safe to call more than once.
 */
export function registerFastKernels(): void {
  registerUnsortedSegmentSum('cpu');
  registerUnsortedSegmentSum('wasm');
  registerWasmBatchMatMul();
}
