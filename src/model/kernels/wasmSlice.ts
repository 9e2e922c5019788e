import * as tf from '@tensorflow/tfjs';

import type { WasmBackendInternals } from './wasmInternals.js';

/**
 * Copies x[begin : begin + size] into a new tensor, reading x in place on the WASM heap, one
 * contiguous run of the last axis at a time.
 */
function sliceInPlace(
  backend: WasmBackendInternals,
  x: tf.TensorInfo,
  begin: readonly number[],
  size: readonly number[],
  outShape: number[] = [...size],
): tf.TensorInfo {
  const out = backend.makeOutput(outShape, x.dtype);
  // Views are taken after makeOutput: an allocation may grow, and so replace, the heap's buffer.
  const from = backend.typedArrayFromHeap(x);
  const to = backend.typedArrayFromHeap(out);
  const rank = x.shape.length;
  const strides = new Array<number>(rank).fill(1);
  for (let axis = rank - 2; axis >= 0; axis--)
    strides[axis] = (strides[axis + 1] as number) * (x.shape[axis + 1] as number);
  const run = size[rank - 1] ?? 1;
  const runs = to.length / Math.max(run, 1);
  const position = new Array<number>(Math.max(rank - 1, 0)).fill(0);
  for (let r = 0; r < runs; r++) {
    let offset = rank === 0 ? 0 : (begin[rank - 1] as number);
    for (let axis = 0; axis < rank - 1; axis++) {
      offset += ((begin[axis] as number) + (position[axis] as number)) * (strides[axis] as number);
    }
    to.set(from.subarray(offset, offset + run), r * run);
    for (let axis = rank - 2; axis >= 0; axis--) {
      position[axis] = (position[axis] as number) + 1;
      if ((position[axis] as number) < (size[axis] as number)) break;
      position[axis] = 0;
    }
  }
  return out;
}

const numeric = (x: tf.TensorInfo) => x.dtype === 'float32' || x.dtype === 'int32';

/**
 * The stock WASM Slice copies its whole input out of the heap before taking the slice, and Unpack
 * and SplitV slice through it: unstacking a [batch, 60, 192] sequence for a recurrent encoder
 * copied 23 MB sixty times. These read the input where it lies and copy only the slice.
 */
let registered = false;

export function registerWasmSlices(): void {
  const stock = {
    slice: tf.getKernel('Slice', 'wasm'),
    unpack: tf.getKernel('Unpack', 'wasm'),
    splitV: tf.getKernel('SplitV', 'wasm'),
  };
  if (registered || !stock.slice || !stock.unpack || !stock.splitV) return;
  registered = true;
  const { slice, unpack, splitV } = stock as Required<{ [K in keyof typeof stock]: tf.KernelConfig }>;

  const sliceKernel: tf.KernelFunc = (args) => {
    const x = (args.inputs as { x: tf.TensorInfo }).x;
    if (!numeric(x)) return slice.kernelFunc(args);
    const attrs = args.attrs as unknown as { begin: number | number[]; size: number | number[] };
    const [begin, size] = tf.slice_util.parseSliceParams(x as tf.Tensor, attrs.begin, attrs.size);
    return sliceInPlace(
      args.backend as unknown as WasmBackendInternals,
      x,
      begin as number[],
      size as number[],
    );
  };

  const unpackKernel: tf.KernelFunc = (args) => {
    const value = (args.inputs as { value: tf.TensorInfo }).value;
    if (!numeric(value)) return unpack.kernelFunc(args);
    const rank = value.shape.length;
    const axis = ((args.attrs as unknown as { axis: number }).axis + rank) % rank;
    const size = value.shape.slice();
    size[axis] = 1;
    const outShape = value.shape.filter((_, i) => i !== axis);
    return Array.from({ length: value.shape[axis] as number }, (_, i) => {
      const begin = value.shape.map((__, a) => (a === axis ? i : 0));
      return sliceInPlace(args.backend as unknown as WasmBackendInternals, value, begin, size, outShape);
    });
  };

  const splitVKernel: tf.KernelFunc = (args) => {
    const x = (args.inputs as { x: tf.TensorInfo }).x;
    if (!numeric(x)) return splitV.kernelFunc(args);
    const attrs = args.attrs as unknown as { numOrSizeSplits: number | number[]; axis: number };
    const axis = tf.util.parseAxisParam(attrs.axis, x.shape)[0] as number;
    const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, attrs.numOrSizeSplits, axis);
    const begin = x.shape.map(() => 0);
    return sizes.map((part) => {
      const size = x.shape.slice();
      size[axis] = part;
      const out = sliceInPlace(args.backend as unknown as WasmBackendInternals, x, begin, size);
      begin[axis] = (begin[axis] as number) + part;
      return out;
    });
  };

  for (const [config, kernelFunc] of [
    [slice, sliceKernel],
    [unpack, unpackKernel],
    [splitV, splitVKernel],
  ] as const) {
    tf.unregisterKernel(config.kernelName, 'wasm');
    tf.registerKernel({ ...config, kernelFunc });
  }
}
