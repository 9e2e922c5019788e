import * as tf from '@tensorflow/tfjs';
import { gruLastState } from '../ops/gruSequence.js';

type Initializer = ReturnType<typeof tf.initializers.zeros>;

export interface FusedGruArgs {
  units: number;
  kernelInitializer?: Initializer;
  recurrentInitializer?: Initializer;
  name?: string;
}

/**
 * A GRU layer returning the last state, computed by gruLastState (one op with a hand-written
 * gradient) instead of tf.layers.gru's per-step graph. Its weights have the same names, shapes and
 * meaning as tf.layers.gru({ recurrentActivation: 'sigmoid' }), so either can load the other's weights.
 */
export class FusedGru extends tf.layers.Layer {
  static readonly className = 'FusedGru';
  private readonly units: number;
  private readonly kernelInitializer: Initializer;
  private readonly recurrentInitializer: Initializer;
  private kernel: tf.LayerVariable | null = null;
  private recurrentKernel: tf.LayerVariable | null = null;
  private bias: tf.LayerVariable | null = null;

  constructor(args: FusedGruArgs) {
    super(args.name ? { name: args.name } : {});
    this.units = args.units;
    this.kernelInitializer = args.kernelInitializer ?? tf.initializers.glorotUniform({});
    this.recurrentInitializer = args.recurrentInitializer ?? tf.initializers.orthogonal({});
    this.supportsMasking = true;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const features = shape[shape.length - 1] as number;
    this.kernel = this.addWeight('kernel', [features, 3 * this.units], 'float32', this.kernelInitializer);
    this.recurrentKernel = this.addWeight(
      'recurrent_kernel',
      [this.units, 3 * this.units],
      'float32',
      this.recurrentInitializer,
    );
    this.bias = this.addWeight('bias', [3 * this.units], 'float32', tf.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    return [shape[0] ?? null, this.units];
  }

  /** The output is one state per sequence, so the time mask stops here (tfjs types omit null). */
  override computeMask(): tf.Tensor {
    return null as unknown as tf.Tensor;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { mask?: tf.Tensor }): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor3D;
      const [batch, steps] = x.shape;
      const mask = kwargs.mask ? (tf.cast(kwargs.mask, 'float32') as tf.Tensor2D) : tf.ones([batch, steps]);
      return gruLastState(x, mask as tf.Tensor2D, {
        kernel: (this.kernel as tf.LayerVariable).read() as tf.Tensor2D,
        recurrentKernel: (this.recurrentKernel as tf.LayerVariable).read() as tf.Tensor2D,
        bias: (this.bias as tf.LayerVariable).read() as tf.Tensor1D,
      });
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), units: this.units };
  }
}

tf.serialization.registerClass(FusedGru);
