import * as tf from '@tensorflow/tfjs';
import { executeNativeOp } from './kernels/nativeOps.js';

/**
 * Adam for model training: libtensorflow's fused update where tfjs-node runs, tfjs's own elsewhere.
 * tfjs's Adam takes about fourteen whole-tensor ops per variable, each a pass over memory; on the
 * 50,000-row item table they cost more than the GRU's forward and backward together.
 */
export function createAdam(learningRate: number): tf.Optimizer {
  return tf.getBackend() === 'tensorflow'
    ? new NativeAdamOptimizer(learningRate)
    : tf.train.adam(learningRate);
}

/** A variable's value and moments as TensorFlow resource variables, and the tfjs value last copied in. */
interface Slots {
  value: tf.Tensor;
  firstMoment: tf.Tensor;
  secondMoment: tf.Tensor;
  syncedDataId: object;
}

let resourceCount = 0;

/**
 * ResourceApplyAdam updates a TensorFlow resource variable in place in one multithreaded pass, but
 * tfjs variables are plain tensors: each step copies the tfjs value in when something else has
 * assigned it (a restore of the best weights), applies the update, and points the tfjs variable at
 * the result. Same rule as tf.train.adam, epsilon included: TensorFlow's kernel adds epsilon to the
 * uncorrected second moment, so it is given epsilon * sqrt(1 - beta2^t).
 */
export class NativeAdamOptimizer extends tf.Optimizer {
  static readonly className = 'NativeAdam';
  private readonly slots = new Map<string, Slots>();

  constructor(
    private readonly learningRate: number,
    private readonly beta1 = 0.9,
    private readonly beta2 = 0.999,
    private readonly epsilon = tf.backend().epsilon(),
  ) {
    super();
  }

  applyGradients(variableGradients: tf.NamedTensorMap | { name: string; tensor: tf.Tensor }[]): void {
    const gradients = Array.isArray(variableGradients)
      ? variableGradients
      : Object.entries(variableGradients).map(([name, tensor]) => ({ name, tensor }));
    const step = this.iterations + 1;
    const backend = tf.backend();
    tf.tidy(() => {
      const scalars = [
        this.beta1 ** step,
        this.beta2 ** step,
        this.learningRate,
        this.beta1,
        this.beta2,
        this.epsilon * Math.sqrt(1 - this.beta2 ** step),
      ].map((value) => tf.scalar(value));
      for (const { name, tensor: gradient } of gradients) {
        if (gradient == null) continue;
        const variable = tf.engine().registeredVariables[name];
        if (!variable) throw new Error(`Adam: no variable named ${name}`);
        const slots = this.slotsFor(variable);
        executeNativeOp(
          backend,
          'ResourceApplyAdam',
          [
            { name: 'T', type: 'dtype', value: 'float32' },
            { name: 'use_locking', type: 'bool', value: false },
            { name: 'use_nesterov', type: 'bool', value: false },
          ],
          [slots.value, slots.firstMoment, slots.secondMoment, ...scalars, gradient],
          0,
        );
        variable.assign(readResource(slots.value));
        slots.syncedDataId = variable.dataId;
      }
    });
    this.incrementIterations();
  }

  override dispose(): void {
    for (const slots of this.slots.values()) {
      for (const handle of [slots.value, slots.firstMoment, slots.secondMoment]) {
        executeNativeOp(
          tf.backend(),
          'DestroyResourceOp',
          [{ name: 'ignore_lookup_error', type: 'bool', value: true }],
          [handle],
          0,
        );
        handle.dispose();
      }
    }
    this.slots.clear();
    super.dispose();
  }

  getConfig(): tf.serialization.ConfigDict {
    return { learningRate: this.learningRate, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon };
  }

  private slotsFor(variable: tf.Variable): Slots {
    let slots = this.slots.get(variable.name);
    if (!slots) {
      // Kept: they live as long as the optimizer, beyond the step's tidy scope.
      const [value, firstMoment, secondMoment] = [
        variable,
        tf.zerosLike(variable),
        tf.zerosLike(variable),
      ].map((initial) => tf.keep(createResource(initial))) as [tf.Tensor, tf.Tensor, tf.Tensor];
      slots = { value, firstMoment, secondMoment, syncedDataId: variable.dataId };
      this.slots.set(variable.name, slots);
    } else if (slots.syncedDataId !== variable.dataId) {
      assignResource(slots.value, variable);
      slots.syncedDataId = variable.dataId;
    }
    return slots;
  }
}

const FLOAT32: { name: string; type: 'dtype'; value: 'float32' } = {
  name: 'dtype',
  type: 'dtype',
  value: 'float32',
};

function createResource(initial: tf.Tensor): tf.Tensor {
  const [handle] = executeNativeOp(
    tf.backend(),
    'VarHandleOp',
    [
      FLOAT32,
      { name: 'shape', type: 'shape', value: initial.shape },
      { name: 'container', type: 'string', value: '' },
      // Unique per process, so no two optimizers share a slot.
      { name: 'shared_name', type: 'string', value: `seqscore_adam_${resourceCount++}` },
    ],
    [],
    1,
  ) as [tf.Tensor];
  assignResource(handle, initial);
  return handle;
}

function assignResource(handle: tf.Tensor, value: tf.Tensor): void {
  executeNativeOp(tf.backend(), 'AssignVariableOp', [FLOAT32], [handle, value], 0);
}

/** tfjs-node hands its op outputs back as tensors. */
function readResource(handle: tf.Tensor): tf.Tensor {
  return executeNativeOp(tf.backend(), 'ReadVariableOp', [FLOAT32], [handle], 1)[0] as tf.Tensor;
}
