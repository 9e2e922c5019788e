import * as tf from '@tensorflow/tfjs';

interface MatMulAttrs {
  transposeA: boolean;
  transposeB: boolean;
}

/** Swaps the last two axes with the backend's own Transpose kernel. */
function transposeLastTwo(transpose: tf.KernelFunc, x: tf.TensorInfo, backend: unknown): tf.TensorInfo {
  const perm = x.shape.map((_, axis) => axis);
  const last = perm.length - 1;
  [perm[last - 1], perm[last]] = [last, last - 1];
  return transpose({
    inputs: { x },
    backend,
    attrs: { perm },
  } as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
}

/**
 * The WASM BatchMatMul hands a transposed operand to a scalar loop instead of XNNPACK, which made
 * the tied item head's two transposed products (50k columns) about 13x slower than the plain one.
 * Transposing first costs one memory pass and keeps every product on the fast path.
 */
let registered = false;

export function registerWasmBatchMatMul(): void {
  const stock = tf.getKernel('BatchMatMul', 'wasm');
  const transposeKernel = tf.getKernel('Transpose', 'wasm');
  if (registered || !stock || !transposeKernel) return;
  registered = true;
  const matMul = stock.kernelFunc;
  const transpose = transposeKernel.kernelFunc;
  const kernelFunc: tf.KernelFunc = (args) => {
    const { transposeA, transposeB } = args.attrs as unknown as MatMulAttrs;
    if (!transposeA && !transposeB) return matMul(args);
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const backend = args.backend as tf.KernelBackend;
    const plainA = transposeA ? transposeLastTwo(transpose, a, backend) : a;
    const plainB = transposeB ? transposeLastTwo(transpose, b, backend) : b;
    try {
      return matMul({
        ...args,
        inputs: { a: plainA, b: plainB },
        attrs: { ...args.attrs, transposeA: false, transposeB: false },
      });
    } finally {
      if (plainA !== a) backend.disposeData(plainA.dataId);
      if (plainB !== b) backend.disposeData(plainB.dataId);
    }
  };
  tf.unregisterKernel('BatchMatMul', 'wasm');
  tf.registerKernel({ ...stock, kernelFunc });
}
