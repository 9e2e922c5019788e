import '@tensorflow/tfjs-backend-wasm';
import { registerGruBlockCell } from './gruBlockCell.js';
import { registerSparseSoftmaxCrossEntropy } from './sparseSoftmaxCrossEntropy.js';
import { registerUnsortedSegmentSum } from './unsortedSegmentSum.js';
import { registerWasmBatchMatMul } from './wasmBatchMatMul.js';
import { registerWasmConcat } from './wasmConcat.js';
import { registerWasmGather } from './wasmGather.js';
import { registerWasmSlices } from './wasmSlice.js';

/**
 * Registers the kernels that make the always-available backends able to train at a useful speed,
 * and the fused softmax cross-entropy on every backend (tfjs-node keeps its other kernels).
 * Safe to call more than once.
 */
export function registerFastKernels(): void {
  registerUnsortedSegmentSum('cpu');
  registerUnsortedSegmentSum('wasm');
  registerWasmBatchMatMul();
  registerWasmConcat();
  registerWasmGather();
  registerWasmSlices();
  registerSparseSoftmaxCrossEntropy();
  registerGruBlockCell();
}
