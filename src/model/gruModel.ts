import * as tf from '@tensorflow/tfjs';

export interface GruModelOptions {
  actionCount: number;
  hiddenUnits: number;
  actionEmbeddingSize?: number;
  seed?: number;
}

export const OUTPUT_NAMES = { nextAction: 'next_action', churn: 'churn' } as const;

/**
 * A GRU over (action, time gap) steps with two heads: a softmax over the next action and a sigmoid
 * for churn. The time dimension is left open so training can use shorter sequences than scoring,
 * and action id 0 is masked so that padding never reaches the recurrent state.
 */
export function buildGruModel(options: GruModelOptions): tf.LayersModel {
  const seed = options.seed ?? 1;
  const actions = tf.input({ shape: [null], dtype: 'int32', name: 'actions' });
  const gaps = tf.input({ shape: [null, 1], name: 'gaps' });
  const embedded = tf.layers
    .embedding({
      inputDim: options.actionCount + 1,
      outputDim: options.actionEmbeddingSize ?? 8,
      maskZero: true,
      embeddingsInitializer: tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed }),
      name: 'action_embedding',
    })
    .apply(actions) as tf.SymbolicTensor;
  const steps = tf.layers.concatenate({ name: 'step_features' }).apply([embedded, gaps]) as tf.SymbolicTensor;
  const state = tf.layers
    .gru({
      units: options.hiddenUnits,
      kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }),
      recurrentInitializer: tf.initializers.glorotUniform({ seed: seed + 2 }),
      name: 'gru',
    })
    .apply(steps) as tf.SymbolicTensor;
  const nextAction = tf.layers
    .dense({
      units: options.actionCount,
      activation: 'softmax',
      kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 3 }),
      name: OUTPUT_NAMES.nextAction,
    })
    .apply(state) as tf.SymbolicTensor;
  const churn = tf.layers
    .dense({
      units: 1,
      activation: 'sigmoid',
      kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 4 }),
      name: OUTPUT_NAMES.churn,
    })
    .apply(state) as tf.SymbolicTensor;
  return tf.model({ inputs: [actions, gaps], outputs: [nextAction, churn], name: 'seqscore_gru' });
}
