import * as tf from '@tensorflow/tfjs';
import { runNativeOp } from './nativeOps.js';

/**
 * libtensorflow's fused GRU cell and its gradient, one op a step each where the GRU written in tfjs
 * ops takes about ten forward and twenty backward, each paying tfjs-node's per-op dispatch. Only the
 * native backend has them; ops/gruSequence.ts uses them there.
 *
 * GRUBlockCell(x, h, w_ru, w_c, b_ru, b_c) -> r, u, c, h'
 * GRUBlockCellGrad(x, h, w_ru, w_c, b_ru, b_c, r, u, c, dh') -> dx, dh, dc_bar, dru_bar
 */
export const GRU_BLOCK_CELL = 'GRUBlockCell';
export const GRU_BLOCK_CELL_GRAD = 'GRUBlockCellGrad';

export function registerGruBlockCell(): void {
  for (const [kernelName, outputs] of [
    [GRU_BLOCK_CELL, 4],
    [GRU_BLOCK_CELL_GRAD, 4],
  ] as const) {
    if (tf.getKernel(kernelName, 'tensorflow')) continue;
    tf.registerKernel({
      kernelName,
      backendName: 'tensorflow',
      // Inputs arrive by name in the op's order (see the names gruSequence.ts passes).
      kernelFunc: ({ inputs, backend }) =>
        runNativeOp(
          backend as tf.KernelBackend,
          kernelName,
          Object.values(inputs) as tf.TensorInfo[],
          outputs,
        ),
    });
  }
}

/** Whether the active backend runs the fused cell. */
export function hasGruBlockCell(): boolean {
  return tf.getKernel(GRU_BLOCK_CELL, tf.getBackend()) !== undefined;
}
