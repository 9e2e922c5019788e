import * as tf from '@tensorflow/tfjs';
import { runNativeOp } from './nativeOps.js';

/** TensorFlow's name for the fused op; the JS kernels below register under the same name. */
export const SPARSE_SOFTMAX_CROSS_ENTROPY = 'SparseSoftmaxCrossEntropyWithLogits';

/**
 * Per row: loss = logSumExp(logits) - logits[label], gradient = softmax(logits) - oneHot(label).
 * Two passes over each row, one exp per element. A label outside [0, classes) gives NaN, as in
 * TensorFlow.
 */
export function softmaxCrossEntropyRows(
  logits: Float32Array,
  labels: Int32Array,
  classes: number,
  loss: Float32Array,
  gradient: Float32Array,
): void {
  for (let row = 0; row < labels.length; row++) {
    const start = row * classes;
    let max = Number.NEGATIVE_INFINITY;
    for (let j = start; j < start + classes; j++) if ((logits[j] as number) > max) max = logits[j] as number;
    let sum = 0;
    for (let j = start; j < start + classes; j++) {
      const e = Math.exp((logits[j] as number) - max);
      gradient[j] = e;
      sum += e;
    }
    const label = labels[row] as number;
    const inRange = label >= 0 && label < classes;
    loss[row] = inRange ? Math.log(sum) + max - (logits[start + label] as number) : Number.NaN;
    const scale = 1 / sum;
    for (let j = start; j < start + classes; j++) gradient[j] = (gradient[j] as number) * scale;
    if (inRange) gradient[start + label] = (gradient[start + label] as number) - 1;
  }
}

/** For CPU and WASM: one JS pass instead of about ten backend ops over [batch, classes]. */
const jsKernel: tf.KernelFunc = ({ inputs, backend }) => {
  const { logits, labels } = inputs as { logits: tf.TensorInfo; labels: tf.TensorInfo };
  const storage = backend as tf.KernelBackend;
  const [batch, classes] = logits.shape as [number, number];
  const loss = new Float32Array(batch);
  const gradient = new Float32Array(batch * classes);
  softmaxCrossEntropyRows(
    storage.readSync(logits.dataId) as Float32Array,
    Int32Array.from(storage.readSync(labels.dataId) as Int32Array),
    classes,
    loss,
    gradient,
  );
  return [
    { dataId: storage.write(loss, [batch], 'float32'), shape: [batch], dtype: 'float32' },
    {
      dataId: storage.write(gradient, [batch, classes], 'float32'),
      shape: [batch, classes],
      dtype: 'float32',
    },
  ];
};

/** libtensorflow has the fused op; tfjs-node just does not expose it. */
const nativeKernel: tf.KernelFunc = ({ inputs, backend }) => {
  const { logits, labels } = inputs as { logits: tf.TensorInfo; labels: tf.TensorInfo };
  return runNativeOp(backend as tf.KernelBackend, SPARSE_SOFTMAX_CROSS_ENTROPY, [logits, labels], 2, [
    'Tlabels',
  ]);
};

export function registerSparseSoftmaxCrossEntropy(): void {
  for (const [backendName, kernelFunc] of [
    ['cpu', jsKernel],
    ['wasm', jsKernel],
    ['tensorflow', nativeKernel],
  ] as const) {
    if (!tf.getKernel(SPARSE_SOFTMAX_CROSS_ENTROPY, backendName)) {
      tf.registerKernel({ kernelName: SPARSE_SOFTMAX_CROSS_ENTROPY, backendName, kernelFunc });
    }
  }
}
