import type * as tf from '@tensorflow/tfjs';

/** The part of tfjs-node's backend used here: running one TensorFlow op by name. */
interface NativeBackend {
  binding: { TF_ATTR_TYPE: number; TF_FLOAT: number; TF_INT32: number };
  executeMultipleOutputs(
    name: string,
    attrs: { name: string; type: number; value: number }[],
    inputs: tf.TensorInfo[],
    count: number,
  ): tf.TensorInfo[];
}

/**
 * Runs a libtensorflow op that tfjs-node does not expose, on float32 inputs (attribute T), plus
 * any further type attributes by name: the way to reach TensorFlow's fused kernels from tfjs.
 */
export function runNativeOp(
  backend: tf.KernelBackend,
  name: string,
  inputs: tf.TensorInfo[],
  outputs: number,
  int32Attributes: readonly string[] = [],
): tf.TensorInfo[] {
  const native = backend as unknown as NativeBackend;
  const { TF_ATTR_TYPE, TF_FLOAT, TF_INT32 } = native.binding;
  return native.executeMultipleOutputs(
    name,
    [
      { name: 'T', type: TF_ATTR_TYPE, value: TF_FLOAT },
      ...int32Attributes.map((attribute) => ({ name: attribute, type: TF_ATTR_TYPE, value: TF_INT32 })),
    ],
    inputs,
    outputs,
  );
}
