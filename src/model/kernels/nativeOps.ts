import type * as tf from '@tensorflow/tfjs';

/** The part of tfjs-node's backend used here: running one TensorFlow op by name. */
interface NativeBackend {
  binding: Record<
    'TF_ATTR_TYPE' | 'TF_ATTR_SHAPE' | 'TF_ATTR_STRING' | 'TF_ATTR_BOOL' | 'TF_FLOAT' | 'TF_INT32',
    number
  >;
  executeMultipleOutputs(
    name: string,
    attrs: { name: string; type: number; value: unknown }[],
    inputs: tf.TensorInfo[],
    count: number,
  ): tf.TensorInfo[];
}

/** An op attribute in the few kinds the ops used here take. */
export type NativeAttribute =
  | { name: string; type: 'dtype'; value: 'float32' | 'int32' }
  | { name: string; type: 'shape'; value: readonly number[] }
  | { name: string; type: 'string'; value: string }
  | { name: string; type: 'bool'; value: boolean };

/** Runs any libtensorflow op by name: the way to reach TensorFlow's fused kernels from tfjs-node. */
export function executeNativeOp(
  backend: tf.KernelBackend,
  name: string,
  attributes: readonly NativeAttribute[],
  inputs: tf.TensorInfo[],
  outputs: number,
): tf.TensorInfo[] {
  const native = backend as unknown as NativeBackend;
  const binding = native.binding;
  const types = {
    dtype: binding.TF_ATTR_TYPE,
    shape: binding.TF_ATTR_SHAPE,
    string: binding.TF_ATTR_STRING,
    bool: binding.TF_ATTR_BOOL,
  };
  const encoded = attributes.map((attribute) => ({
    name: attribute.name,
    type: types[attribute.type],
    value:
      attribute.type === 'dtype'
        ? attribute.value === 'float32'
          ? binding.TF_FLOAT
          : binding.TF_INT32
        : attribute.value,
  }));
  return native.executeMultipleOutputs(name, encoded, inputs, outputs);
}

/** A float32 op (attribute T), plus any further type attributes, all int32, by name. */
export function runNativeOp(
  backend: tf.KernelBackend,
  name: string,
  inputs: tf.TensorInfo[],
  outputs: number,
  int32Attributes: readonly string[] = [],
): tf.TensorInfo[] {
  return executeNativeOp(
    backend,
    name,
    [
      { name: 'T', type: 'dtype', value: 'float32' },
      ...int32Attributes.map((attribute) => ({
        name: attribute,
        type: 'dtype' as const,
        value: 'int32' as const,
      })),
    ],
    inputs,
    outputs,
  );
}
