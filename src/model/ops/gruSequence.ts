import * as tf from '@tensorflow/tfjs';
import { GRU_BLOCK_CELL, GRU_BLOCK_CELL_GRAD, hasGruBlockCell } from '../kernels/gruBlockCell.js';

/** Weights in tf.layers.gru's layout: gate columns [update z | reset r | candidate h]. */
export interface GruWeights {
  /** [inputDim, 3 * units] */
  kernel: tf.Tensor2D;
  /** [units, 3 * units] */
  recurrentKernel: tf.Tensor2D;
  /** [3 * units] */
  bias: tf.Tensor1D;
}

interface StepRecord {
  previous: tf.Tensor2D;
  gates: tf.Tensor2D;
  reset: tf.Tensor2D;
  resetPrevious: tf.Tensor2D;
  candidate: tf.Tensor2D;
  keep: tf.Tensor2D;
}

/** Time-major slices [T][batch, columns] of a [batch, T, columns] tensor. */
function timeSlices(x: tf.Tensor3D): tf.Tensor2D[] {
  return tf.unstack(tf.transpose(x, [1, 0, 2])) as tf.Tensor2D[];
}

interface SplitWeights {
  kernelGates: tf.Tensor2D;
  kernelCandidate: tf.Tensor2D;
  biasGates: tf.Tensor1D;
  biasCandidate: tf.Tensor1D;
  recurrentGates: tf.Tensor2D;
  recurrentCandidate: tf.Tensor2D;
}

/** The [z | r] gate columns and the candidate columns, apart. */
function splitWeights(kernel: tf.Tensor2D, recurrentKernel: tf.Tensor2D, bias: tf.Tensor1D): SplitWeights {
  const units = recurrentKernel.shape[0];
  const sizes = [2 * units, units];
  const [kernelGates, kernelCandidate] = tf.split(kernel, sizes, 1) as [tf.Tensor2D, tf.Tensor2D];
  const [biasGates, biasCandidate] = tf.split(bias, sizes) as [tf.Tensor1D, tf.Tensor1D];
  const [recurrentGates, recurrentCandidate] = tf.split(recurrentKernel, sizes, 1) as [
    tf.Tensor2D,
    tf.Tensor2D,
  ];
  return { kernelGates, kernelCandidate, biasGates, biasCandidate, recurrentGates, recurrentCandidate };
}

/**
 * One step from the step's input projections (x·W + b for the gates and for the candidate).
 * With a mask, h' = h + keep * (candidate - h), keep = mask * (1 - z), so a masked step leaves h as
 * it was; without one, keep = 1 - z, which is the usual h' = z*h + (1-z)*candidate.
 */
function step(
  state: tf.Tensor2D,
  inputGates: tf.Tensor2D,
  inputCandidate: tf.Tensor2D,
  mask: tf.Tensor2D | null,
  w: SplitWeights,
): { record: StepRecord; next: tf.Tensor2D } {
  // Not tf.fused.matMul: WASM's fused product takes only a rank-1 bias.
  const gates = tf.sigmoid(tf.add(tf.matMul(state, w.recurrentGates), inputGates)) as tf.Tensor2D;
  const [update, reset] = tf.split(gates, 2, 1) as [tf.Tensor2D, tf.Tensor2D];
  const resetPrevious = tf.mul(reset, state) as tf.Tensor2D;
  const candidate = tf.tanh(
    tf.add(tf.matMul(resetPrevious, w.recurrentCandidate), inputCandidate),
  ) as tf.Tensor2D;
  const notUpdate = tf.sub(1, update) as tf.Tensor2D;
  const keep = mask ? (tf.mul(mask, notUpdate) as tf.Tensor2D) : notUpdate;
  const next = tf.add(state, tf.mul(keep, tf.sub(candidate, state))) as tf.Tensor2D;
  return { record: { previous: state, gates, reset, resetPrevious, candidate, keep }, next };
}

/** One GRU step for a batch of new inputs [batch, features]: incremental scoring from a stored state. */
export function gruStep(x: tf.Tensor2D, state: tf.Tensor2D, weights: GruWeights): tf.Tensor2D {
  return tf.tidy(() => {
    const w = splitWeights(weights.kernel, weights.recurrentKernel, weights.bias);
    const inputGates = tf.add(tf.matMul(x, w.kernelGates), w.biasGates) as tf.Tensor2D;
    const inputCandidate = tf.add(tf.matMul(x, w.kernelCandidate), w.biasCandidate) as tf.Tensor2D;
    return step(state, inputGates, inputCandidate, null, w).next;
  });
}

/**
 * The final state of a GRU over [batch, time, features], in one op with a hand-written gradient.
 *
 * Same maths as tf.layers.gru with recurrentActivation 'sigmoid' (reset applied before the
 * recurrent product, h' = z*h + (1-z)*candidate), and masked steps (mask 0) keep the state, as the
 * layer does for padding. The layer runs about 30 small ops per step forward and records each for
 * the tape, so per-op overhead dominated training; here the input products for all steps are one
 * matrix product, a step is about ten ops, its gradient about twenty, and the recurrent weights'
 * gradients are one product each over all steps.
 */
export function gruLastState(x: tf.Tensor3D, mask: tf.Tensor2D, weights: GruWeights): tf.Tensor2D {
  return lastStateOp(hasGruBlockCell() ? blockCellLastState : opsLastState, x, mask, weights);
}

/** One GRU forward pass over a sequence and its gradient, given the op's inputs. */
type LastStateBody = (
  inputs: tf.Tensor3D,
  stepMask: tf.Tensor2D,
  kernel: tf.Tensor2D,
  recurrentKernel: tf.Tensor2D,
  bias: tf.Tensor1D,
  save: tf.GradSaveFunc,
) => { value: tf.Tensor2D; gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor[] };

function lastStateOp(
  body: LastStateBody,
  x: tf.Tensor3D,
  mask: tf.Tensor2D,
  weights: GruWeights,
): tf.Tensor2D {
  const run = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [inputs, stepMask, kernel, recurrentKernel, bias] = args as tf.Tensor[] as [
      tf.Tensor3D,
      tf.Tensor2D,
      tf.Tensor2D,
      tf.Tensor2D,
      tf.Tensor1D,
    ];
    const save = args[5] as tf.GradSaveFunc;
    return body(inputs, stepMask, kernel, recurrentKernel, bias, save);
  });
  return run(x, mask, weights.kernel, weights.recurrentKernel, weights.bias) as tf.Tensor2D;
}

/** The GRU in tfjs ops: about ten a step forward, twenty backward. */
const opsLastState: LastStateBody = (inputs, stepMask, kernel, recurrentKernel, bias, save) => {
  const [batch, steps, features] = inputs.shape as [number, number, number];
  const maskShape = stepMask.shape;
  const units = recurrentKernel.shape[0];
  const flat = tf.reshape(inputs, [batch * steps, features]);
  const w = splitWeights(kernel, recurrentKernel, bias);
  const inputGates = timeSlices(
    tf.reshape(tf.add(tf.matMul(flat, w.kernelGates), w.biasGates), [batch, steps, 2 * units]),
  );
  const inputCandidate = timeSlices(
    tf.reshape(tf.add(tf.matMul(flat, w.kernelCandidate), w.biasCandidate), [batch, steps, units]),
  );
  const masks = tf.unstack(tf.expandDims(tf.transpose(stepMask), 2)) as tf.Tensor2D[];
  let state = tf.zeros([batch, units]) as tf.Tensor2D;
  const records: StepRecord[] = [];
  for (let t = 0; t < steps; t++) {
    const { record, next } = step(
      state,
      inputGates[t] as tf.Tensor2D,
      inputCandidate[t] as tf.Tensor2D,
      masks[t] as tf.Tensor2D,
      w,
    );
    records.push(record);
    state = next;
  }
  // Everything the gradient needs; customGrad keeps saved tensors alive until it has run.
  save([
    flat,
    kernel,
    w.recurrentGates,
    w.recurrentCandidate,
    ...masks,
    ...records.flatMap((r) => [r.previous, r.gates, r.reset, r.resetPrevious, r.candidate, r.keep]),
  ]);
  const value = state;
  const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
    const [savedFlat, savedKernel, savedRecurrentGates, savedRecurrentCandidate] = saved as tf.Tensor2D[];
    const savedMasks = saved.slice(4, 4 + steps) as tf.Tensor2D[];
    const fields = saved.slice(4 + steps) as tf.Tensor2D[];
    const record = (t: number): StepRecord => {
      const [previous, gates, reset, resetPrevious, candidate, keep] = fields.slice(6 * t, 6 * t + 6);
      return { previous, gates, reset, resetPrevious, candidate, keep } as StepRecord;
    };
    let dState = dy as tf.Tensor2D;
    const dGates: tf.Tensor2D[] = new Array(steps);
    const dCandidate: tf.Tensor2D[] = new Array(steps);
    for (let t = steps - 1; t >= 0; t--) {
      const r = record(t);
      const dCand = tf.mul(dState, r.keep);
      const dKeep = tf.mul(dState, tf.sub(r.candidate, r.previous));
      const dUpdate = tf.neg(tf.mul(dKeep, savedMasks[t] as tf.Tensor2D));
      const dCandidatePre = tf.mul(dCand, tf.sub(1, tf.square(r.candidate))) as tf.Tensor2D;
      const dResetPrevious = tf.matMul(dCandidatePre, savedRecurrentCandidate as tf.Tensor2D, false, true);
      const dReset = tf.mul(dResetPrevious, r.previous);
      const dGatesPre = tf.mul(
        tf.concat([dUpdate, dReset], 1),
        tf.mul(r.gates, tf.sub(1, r.gates)),
      ) as tf.Tensor2D;
      dState = tf.addN([
        tf.sub(dState, dCand),
        tf.mul(dResetPrevious, r.reset),
        tf.matMul(dGatesPre, savedRecurrentGates as tf.Tensor2D, false, true),
      ]) as tf.Tensor2D;
      dGates[t] = dGatesPre;
      dCandidate[t] = dCandidatePre;
    }
    // Batch-major [batch * steps, 3 * units] pre-activation gradients, in the kernel's column order.
    const dPre = tf.reshape(tf.transpose(tf.concat([tf.stack(dGates), tf.stack(dCandidate)], 2), [1, 0, 2]), [
      batch * steps,
      3 * units,
    ]) as tf.Tensor2D;
    const previousStates = tf.reshape(tf.stack(fields.filter((_, i) => i % 6 === 0)), [steps * batch, units]);
    const resetPreviousStates = tf.reshape(tf.stack(fields.filter((_, i) => i % 6 === 3)), [
      steps * batch,
      units,
    ]);
    const timeMajorGates = tf.reshape(tf.stack(dGates), [steps * batch, 2 * units]) as tf.Tensor2D;
    const timeMajorCandidate = tf.reshape(tf.stack(dCandidate), [steps * batch, units]) as tf.Tensor2D;
    return [
      tf.reshape(tf.matMul(dPre, savedKernel as tf.Tensor2D, false, true), [batch, steps, features]),
      // Only shapes may be taken from the forward scope: its tensors are gone by now.
      tf.zeros(maskShape),
      tf.matMul(savedFlat as tf.Tensor2D, dPre, true, false),
      tf.concat(
        [
          tf.matMul(previousStates as tf.Tensor2D, timeMajorGates, true, false),
          tf.matMul(resetPreviousStates as tf.Tensor2D, timeMajorCandidate, true, false),
        ],
        1,
      ),
      tf.sum(dPre, 0),
    ];
  };
  return { value, gradFunc };
};

/** The cell's weights in GRUBlockCell's layout: rows [x | h], gate columns [r | u]. */
interface BlockWeights {
  wRu: tf.Tensor2D;
  wC: tf.Tensor2D;
  bRu: tf.Tensor1D;
  bC: tf.Tensor1D;
}

function toBlockWeights(kernel: tf.Tensor2D, recurrentKernel: tf.Tensor2D, bias: tf.Tensor1D): BlockWeights {
  const units = recurrentKernel.shape[0];
  const [kz, kr, kc] = tf.split(kernel, 3, 1) as tf.Tensor2D[];
  const [rz, rr, rc] = tf.split(recurrentKernel, 3, 1) as tf.Tensor2D[];
  const [bz, br, bc] = tf.split(bias, [units, units, units]) as tf.Tensor1D[];
  return {
    wRu: tf.concat([tf.concat([kr, kz] as tf.Tensor2D[], 1), tf.concat([rr, rz] as tf.Tensor2D[], 1)], 0),
    wC: tf.concat([kc, rc] as tf.Tensor2D[], 0),
    bRu: tf.concat([br, bz] as tf.Tensor1D[]),
    bC: bc as tf.Tensor1D,
  };
}

/**
 * gruLastState on libtensorflow's fused cell: one op a step forward, one (plus three for padding)
 * backward. GRUBlockCell has the same maths (update gate u = z, reset before the recurrent
 * product); only the weights' layout differs, and the gradients are mapped back to tf.layers.gru's.
 */
const blockCellLastState: LastStateBody = (inputs, stepMask, kernel, recurrentKernel, bias, save) => {
  const [batch, steps, features] = inputs.shape as [number, number, number];
  const units = recurrentKernel.shape[0];
  const maskShape = stepMask.shape;
  const block = toBlockWeights(kernel, recurrentKernel, bias);
  const xs = tf.unstack(inputs, 1) as tf.Tensor2D[];
  // Padded steps keep the state; a batch without padding (the usual case) needs no selects.
  const padded = (tf.min(stepMask).dataSync()[0] as number) < 1;
  const keeps = padded ? (tf.unstack(tf.greater(tf.expandDims(stepMask, 2), 0.5), 1) as tf.Tensor2D[]) : [];
  let state = tf.zeros([batch, units]) as tf.Tensor2D;
  const cells: tf.Tensor[] = [];
  for (let t = 0; t < steps; t++) {
    const [r, u, c, next] = tf.engine().runKernel(GRU_BLOCK_CELL, {
      x: xs[t] as tf.Tensor2D,
      h: state,
      wRu: block.wRu,
      wC: block.wC,
      bRu: block.bRu,
      bC: block.bC,
    }) as tf.Tensor2D[];
    cells.push(state, r as tf.Tensor2D, u as tf.Tensor2D, c as tf.Tensor2D);
    state = padded
      ? (tf.where(keeps[t] as tf.Tensor2D, next as tf.Tensor2D, state) as tf.Tensor2D)
      : (next as tf.Tensor2D);
  }
  save([...xs, ...keeps, block.wRu, block.wC, block.bRu, block.bC, ...cells]);
  const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
    const savedXs = saved.slice(0, steps) as tf.Tensor2D[];
    const savedKeeps = saved.slice(steps, steps + keeps.length) as tf.Tensor2D[];
    const [wRu, wC, bRu, bC] = saved.slice(steps + keeps.length, steps + keeps.length + 4) as [
      tf.Tensor2D,
      tf.Tensor2D,
      tf.Tensor1D,
      tf.Tensor1D,
    ];
    const fields = saved.slice(steps + keeps.length + 4) as tf.Tensor2D[];
    let dState = dy as tf.Tensor2D;
    const dXs: tf.Tensor2D[] = new Array(steps);
    const dCandidate: tf.Tensor2D[] = new Array(steps);
    const dGates: tf.Tensor2D[] = new Array(steps);
    const zeros = padded ? tf.zerosLike(dState) : null;
    for (let t = steps - 1; t >= 0; t--) {
      const [previous, r, u, c] = fields.slice(4 * t, 4 * t + 4) as tf.Tensor2D[];
      const keep = savedKeeps[t];
      const dCell = keep ? (tf.where(keep, dState, zeros as tf.Tensor2D) as tf.Tensor2D) : dState;
      const [dx, dPrevious, dcBar, druBar] = tf.engine().runKernel(GRU_BLOCK_CELL_GRAD, {
        x: savedXs[t] as tf.Tensor2D,
        h: previous as tf.Tensor2D,
        wRu,
        wC,
        bRu,
        bC,
        r: r as tf.Tensor2D,
        u: u as tf.Tensor2D,
        c: c as tf.Tensor2D,
        dh: dCell,
      }) as tf.Tensor2D[];
      dState = keep
        ? (tf.add(dPrevious as tf.Tensor2D, tf.where(keep, zeros as tf.Tensor2D, dState)) as tf.Tensor2D)
        : (dPrevious as tf.Tensor2D);
      dXs[t] = dx as tf.Tensor2D;
      dCandidate[t] = dcBar as tf.Tensor2D;
      dGates[t] = druBar as tf.Tensor2D;
    }
    const flatX = tf.reshape(tf.stack(savedXs), [steps * batch, features]);
    const previousStates = tf.reshape(tf.stack(fields.filter((_, i) => i % 4 === 0)), [steps * batch, units]);
    const resets = tf.reshape(tf.stack(fields.filter((_, i) => i % 4 === 1)), [steps * batch, units]);
    const dRu = tf.reshape(tf.stack(dGates), [steps * batch, 2 * units]) as tf.Tensor2D;
    const dC = tf.reshape(tf.stack(dCandidate), [steps * batch, units]) as tf.Tensor2D;
    const dWRu = tf.matMul(tf.concat([flatX, previousStates], 1), dRu, true, false);
    const dWC = tf.matMul(tf.concat([flatX, tf.mul(resets, previousStates)], 1), dC, true, false);
    const [dKernelRu, dRecurrentRu] = tf.split(dWRu, [features, units], 0) as tf.Tensor2D[];
    const [dKernelC, dRecurrentC] = tf.split(dWC, [features, units], 0) as tf.Tensor2D[];
    // [r | u] back to tf.layers.gru's [z | r | h] columns.
    const toLayers = (ru: tf.Tensor, candidate: tf.Tensor, axis: number) => {
      const [dr, du] = tf.split(ru, 2, axis);
      return tf.concat([du as tf.Tensor, dr as tf.Tensor, candidate], axis);
    };
    return [
      tf.stack(dXs, 1),
      // Only shapes may be taken from the forward scope: its tensors are gone by now.
      tf.zeros(maskShape),
      toLayers(dKernelRu as tf.Tensor2D, dKernelC as tf.Tensor2D, 1),
      toLayers(dRecurrentRu as tf.Tensor2D, dRecurrentC as tf.Tensor2D, 1),
      toLayers(tf.sum(dRu, 0), tf.sum(dC, 0), 0),
    ];
  };
  return { value: state, gradFunc };
};
