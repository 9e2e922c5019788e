import * as tf from '@tensorflow/tfjs';

/**
 * Every step's state of the encoder's "reset after" GRU (cuDNN and Keras 2 maths, as
 * encoders.recurrentStep), over inputs already multiplied by enc.wx plus enc.b, in one op with a
 * hand-written gradient.
 *
 * Autodiff of the per-step graph records about twenty ops a step and replays about forty in the
 * gradient, and per-op dispatch, not arithmetic, dominated training at these sizes. Here a step is
 * fourteen ops forward and about fifteen backward, nothing is taped, and the recurrent weights'
 * gradients are one product over all steps. Masked steps (mask 0) keep the state unchanged:
 * h' = h + keep * (n - h), keep = mask * (1 - z).
 *
 * projected: [batch, steps, 3 * units] in the gate order [z | r | n]; mask: [batch, steps];
 * recurrentKernel (enc.wh): [units, 3 * units]; recurrentBias (enc.bh): [3 * units].
 * Returns [batch, steps, units].
 */
export function gruAllStates(
  projected: tf.Tensor3D,
  mask: tf.Tensor2D,
  recurrentKernel: tf.Tensor2D,
  recurrentBias: tf.Tensor1D,
): tf.Tensor3D {
  const run = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [inputs, stepMask, kernel, bias] = args as tf.Tensor[] as [
      tf.Tensor3D,
      tf.Tensor2D,
      tf.Tensor2D,
      tf.Tensor1D,
    ];
    const save = args[4] as tf.GradSaveFunc;
    const [batch, steps] = inputs.shape as [number, number, number];
    const units = kernel.shape[0];
    const maskShape = stepMask.shape;
    // The z and r biases only ever add to the inputs, so they join them once for all steps; the
    // candidate's bias is inside the reset product and stays per step.
    const [biasGates, biasCandidate] = tf.split(bias, [2 * units, units]) as [tf.Tensor1D, tf.Tensor1D];
    const [inputGates, inputCandidate] = tf.split(inputs, [2 * units, units], 2) as [
      tf.Tensor3D,
      tf.Tensor3D,
    ];
    const gateSteps = tf.unstack(tf.add(inputGates, biasGates), 1) as tf.Tensor2D[];
    const candidateSteps = tf.unstack(inputCandidate, 1) as tf.Tensor2D[];
    const masks = tf.unstack(tf.expandDims(stepMask, 2), 1) as tf.Tensor2D[];

    let state = tf.zeros([batch, units]) as tf.Tensor2D;
    const states: tf.Tensor2D[] = [];
    // Per step, what the gradient needs: previous state, [z | r], n, the recurrent candidate part
    // (h·Wn + bn) and keep.
    const saved: tf.Tensor[] = [];
    for (let t = 0; t < steps; t++) {
      const [recurrentGates, recurrentCandidate] = tf.split(
        tf.matMul(state, kernel),
        [2 * units, units],
        1,
      ) as [tf.Tensor2D, tf.Tensor2D];
      const gates = tf.sigmoid(tf.add(gateSteps[t] as tf.Tensor2D, recurrentGates)) as tf.Tensor2D;
      const [update, reset] = tf.split(gates, 2, 1) as [tf.Tensor2D, tf.Tensor2D];
      const hiddenCandidate = tf.add(recurrentCandidate, biasCandidate) as tf.Tensor2D;
      const candidate = tf.tanh(
        tf.add(candidateSteps[t] as tf.Tensor2D, tf.mul(reset, hiddenCandidate)),
      ) as tf.Tensor2D;
      const keep = tf.mul(masks[t] as tf.Tensor2D, tf.sub(1, update)) as tf.Tensor2D;
      const next = tf.add(state, tf.mul(keep, tf.sub(candidate, state))) as tf.Tensor2D;
      saved.push(state, gates, candidate, hiddenCandidate, keep);
      states.push(next);
      state = next;
    }
    save([kernel, ...masks, ...saved]);

    const gradFunc = (dy: tf.Tensor, kept: tf.Tensor[]) => {
      const savedKernel = kept[0] as tf.Tensor2D;
      const savedMasks = kept.slice(1, 1 + steps) as tf.Tensor2D[];
      const fields = kept.slice(1 + steps) as tf.Tensor2D[];
      const upstream = tf.unstack(dy, 1) as tf.Tensor2D[];
      const dGates: tf.Tensor2D[] = new Array(steps);
      const dCandidates: tf.Tensor2D[] = new Array(steps);
      const dRecurrent: tf.Tensor2D[] = new Array(steps);
      let dState: tf.Tensor2D | null = null;
      for (let t = steps - 1; t >= 0; t--) {
        const [previous, gates, candidate, hiddenCandidate, keep] = fields.slice(5 * t, 5 * t + 5) as [
          tf.Tensor2D,
          tf.Tensor2D,
          tf.Tensor2D,
          tf.Tensor2D,
          tf.Tensor2D,
        ];
        const dNext = (dState ? tf.add(upstream[t] as tf.Tensor2D, dState) : upstream[t]) as tf.Tensor2D;
        const [, reset] = tf.split(gates, 2, 1) as [tf.Tensor2D, tf.Tensor2D];
        // next = previous + keep * (candidate - previous), keep = mask * (1 - z)
        const dCandidate = tf.mul(dNext, keep);
        const dUpdate = tf.neg(
          tf.mul(tf.mul(dNext, tf.sub(candidate, previous)), savedMasks[t] as tf.Tensor2D),
        );
        const dCandidatePre = tf.mul(dCandidate, tf.sub(1, tf.square(candidate))) as tf.Tensor2D;
        const dReset = tf.mul(dCandidatePre, hiddenCandidate);
        const dGatesPre = tf.mul(
          tf.concat([dUpdate, dReset], 1),
          tf.mul(gates, tf.sub(1, gates)),
        ) as tf.Tensor2D;
        const dRecurrentPre = tf.concat([dGatesPre, tf.mul(dCandidatePre, reset)], 1) as tf.Tensor2D;
        dState = tf.addN([
          tf.sub(dNext, dCandidate),
          tf.matMul(dRecurrentPre, savedKernel, false, true),
        ]) as tf.Tensor2D;
        dGates[t] = dGatesPre;
        dCandidates[t] = dCandidatePre;
        dRecurrent[t] = dRecurrentPre;
      }
      const previousStates = tf.reshape(tf.stack(fields.filter((_, i) => i % 5 === 0)), [
        steps * batch,
        units,
      ]);
      const recurrentPre = tf.reshape(tf.stack(dRecurrent), [steps * batch, 3 * units]) as tf.Tensor2D;
      return [
        tf.concat([tf.stack(dGates, 1), tf.stack(dCandidates, 1)], 2),
        // Only shapes may be taken from the forward scope: its tensors are gone by now.
        tf.zeros(maskShape),
        tf.matMul(previousStates as tf.Tensor2D, recurrentPre, true, false),
        tf.sum(recurrentPre, 0),
      ];
    };
    return { value: tf.stack(states, 1) as tf.Tensor3D, gradFunc };
  });
  return run(projected, mask, recurrentKernel, recurrentBias) as tf.Tensor3D;
}
