import * as tf from '@tensorflow/tfjs';
import { FusedGru } from '../src/model/layers/fusedGru.js';

/** The benchmark model; small on purpose so that src/model's builder can replace it. */
export interface BenchModelSpec {
  items: number;
  actions: number;
  itemDim: number;
  actionDim: number;
  hiddenUnits: number;
  seed: number;
  /** 'fused': one op per sequence (src/model/layers/fusedGru.ts); 'layers': tf.layers.gru's per-step graph. */
  recurrent: 'fused' | 'layers';
}

export const DEFAULT_SPEC: BenchModelSpec = {
  items: 50_000,
  actions: 4,
  itemDim: 64,
  actionDim: 8,
  hiddenUnits: 64,
  seed: 1,
  recurrent: 'fused',
};

/**
 * Next-item logits against the item embedding itself (tied weights): the head adds only a bias,
 * and the embedding's gradient comes from both the lookup and the head.
 */
export class TiedItemLogits extends tf.layers.Layer {
  static readonly className = 'TiedItemLogits';
  private bias: tf.LayerVariable | null = null;

  constructor(
    private readonly embedding: tf.layers.Layer,
    private readonly items: number,
    name: string,
  ) {
    super({ name });
  }

  override build(): void {
    this.bias = this.addWeight('bias', [this.items], 'float32', tf.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape): tf.Shape {
    return [inputShape[0] ?? null, this.items];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const state = Array.isArray(inputs) ? (inputs[0] as tf.Tensor2D) : (inputs as tf.Tensor2D);
      return tf.add(tf.matMul(state, this.table(), false, true), (this.bias as tf.LayerVariable).read());
    });
  }

  /** Logits against some items only, for sampled and in-batch softmax: [batch, candidates]. */
  candidateLogits(state: tf.Tensor2D, candidates: tf.Tensor1D): tf.Tensor2D {
    const rows = tf.gather(this.table(), candidates);
    const bias = tf.gather((this.bias as tf.LayerVariable).read(), candidates);
    return tf.add(tf.matMul(state, rows, false, true), bias) as tf.Tensor2D;
  }

  private table(): tf.Tensor2D {
    return this.embedding.trainableWeights[0]?.read() as tf.Tensor2D;
  }
}

export interface BenchModel {
  spec: BenchModelSpec;
  /** Inputs [items, actions, gaps]; outputs [next action probabilities, churn, next item logits]. */
  training: tf.LayersModel;
  /** The same layers without the item head: what the worker publishes (next action, churn). */
  scoring: tf.LayersModel;
  /** Inputs to the GRU's last state, for losses that score only some items. */
  encoder: tf.LayersModel;
  itemHead: TiedItemLogits;
  layers: {
    itemEmbedding: tf.layers.Layer;
    actionEmbedding: tf.layers.Layer;
    gru: tf.layers.Layer;
    nextAction: tf.layers.Layer;
    churn: tf.layers.Layer;
  };
}

export function buildBenchModel(spec: BenchModelSpec = DEFAULT_SPEC): BenchModel {
  const init = (offset: number) => tf.initializers.glorotUniform({ seed: spec.seed + offset });
  const items = tf.input({ shape: [null], dtype: 'int32', name: 'items' });
  const actions = tf.input({ shape: [null], dtype: 'int32', name: 'actions' });
  const gaps = tf.input({ shape: [null, 1], name: 'gaps' });
  const itemEmbedding = tf.layers.embedding({
    inputDim: spec.items,
    outputDim: spec.itemDim,
    maskZero: true,
    embeddingsInitializer: tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed: spec.seed }),
    name: 'item_embedding',
  });
  const actionEmbedding = tf.layers.embedding({
    inputDim: spec.actions + 1,
    outputDim: spec.actionDim,
    maskZero: true,
    embeddingsInitializer: tf.initializers.randomUniform({
      minval: -0.05,
      maxval: 0.05,
      seed: spec.seed + 1,
    }),
    name: 'action_embedding',
  });
  // Sigmoid gates, as in PyTorch and Keras 2, rather than tfjs's default hard sigmoid.
  const gru =
    spec.recurrent === 'fused'
      ? new FusedGru({
          units: spec.hiddenUnits,
          kernelInitializer: init(2),
          recurrentInitializer: init(3),
          name: 'gru',
        })
      : tf.layers.gru({
          units: spec.hiddenUnits,
          recurrentActivation: 'sigmoid',
          kernelInitializer: init(2),
          recurrentInitializer: init(3),
          name: 'gru',
        });
  const nextAction = tf.layers.dense({
    units: spec.actions,
    activation: 'softmax',
    kernelInitializer: init(4),
    name: 'next_action',
  });
  const churn = tf.layers.dense({
    units: 1,
    activation: 'sigmoid',
    kernelInitializer: init(5),
    name: 'churn',
  });
  const steps = tf.layers
    .concatenate({ name: 'step_features' })
    .apply([
      itemEmbedding.apply(items) as tf.SymbolicTensor,
      actionEmbedding.apply(actions) as tf.SymbolicTensor,
      gaps,
    ]) as tf.SymbolicTensor;
  const state = gru.apply(steps) as tf.SymbolicTensor;
  const itemHead = new TiedItemLogits(itemEmbedding, spec.items, 'next_item');
  const outputs = [
    nextAction.apply(state) as tf.SymbolicTensor,
    churn.apply(state) as tf.SymbolicTensor,
    itemHead.apply(state) as tf.SymbolicTensor,
  ];
  const inputs = [items, actions, gaps];
  return {
    spec,
    training: tf.model({ inputs, outputs, name: 'bench_gru' }),
    scoring: tf.model({ inputs, outputs: outputs.slice(0, 2), name: 'bench_gru_scoring' }),
    encoder: tf.model({ inputs, outputs: state, name: 'bench_gru_encoder' }),
    itemHead,
    layers: { itemEmbedding, actionEmbedding, gru, nextAction, churn },
  };
}
