import * as tf from '@tensorflow/tfjs';
import {
  type EncodedBatch,
  type FeatureVocabularies,
  HOURS,
  STEP_NUMERIC_FEATURES,
} from '../features/sequenceEncoding.js';
import { type Architecture, type EncoderSpec, encode, encoderParams } from './encoders.js';
import { type ParamSpec, Params } from './params.js';
import {
  ACTIONS_SEEN_BUCKETS,
  AGE_BUCKETS,
  CATEGORY_RANK_BUCKETS,
  COUNT_BUCKETS,
  RANK_BUCKETS,
  type RepeatCandidates,
} from './repeatCandidates.js';

/**
 * The sequence model: step embeddings (item, category, action, time features) -> encoder (GRU by
 * default) -> three heads read from each step's state:
 *
 * - next action: softmax over the action vocabulary;
 * - churn: sigmoid, "no further event within the horizon";
 * - next item: a mixture of *repeat* (attention over the items already in the history, with learned
 *   biases for how many steps and how long ago) and *explore* (a softmax over the item vocabulary whose
 *   output embeddings are tied to the input ones), weighted by a learned gate. Repeat consumption
 *   dominates e-commerce logs; a plain softmax spends its capacity relearning what the history shows.
 */
export interface ModelConfig {
  architecture: Architecture;
  hiddenSize: number;
  itemEmbeddingSize: number;
  categoryEmbeddingSize: number;
  actionEmbeddingSize: number;
  hourEmbeddingSize: number;
  /** Longest history the model reads: the window size. */
  maxLength: number;
}

export const DEFAULT_MODEL_CONFIG: ModelConfig = {
  architecture: 'gru',
  hiddenSize: 64,
  itemEmbeddingSize: 32,
  categoryEmbeddingSize: 8,
  actionEmbeddingSize: 4,
  hourEmbeddingSize: 4,
  maxLength: 50,
};

export interface BatchTensors {
  items: tf.Tensor2D;
  categories: tf.Tensor2D;
  actions: tf.Tensor2D;
  hours: tf.Tensor2D;
  numeric: tf.Tensor3D;
  mask: tf.Tensor2D;
}

export interface StepOutputs {
  /** [batch, length, headInputSize]: encoder state and the step's own features */
  states: tf.Tensor3D;
  /** [batch, length, R]: the query for both item heads */
  query: tf.Tensor3D;
  /** [batch, length, R]: each history step as a repeat candidate */
  keys: tf.Tensor3D;
}

export function batchTensors(batch: EncodedBatch): BatchTensors {
  const shape: [number, number] = [batch.batchSize, batch.length];
  return {
    items: tf.tensor2d(batch.items, shape, 'int32'),
    categories: tf.tensor2d(batch.categories, shape, 'int32'),
    actions: tf.tensor2d(batch.actions, shape, 'int32'),
    hours: tf.tensor2d(batch.hours, shape, 'int32'),
    numeric: tf.tensor3d(batch.numeric, [...shape, STEP_NUMERIC_FEATURES]),
    mask: tf.tensor2d(batch.mask, shape),
  };
}

export function encoderSpecFor(config: ModelConfig): EncoderSpec {
  return {
    architecture: config.architecture,
    inputSize:
      config.itemEmbeddingSize +
      config.categoryEmbeddingSize +
      config.actionEmbeddingSize +
      config.hourEmbeddingSize +
      STEP_NUMERIC_FEATURES,
    hiddenSize: config.hiddenSize,
    maxLength: config.maxLength,
  };
}

/**
 * What the heads read at each step: the encoder state plus the step's own action, hour and time
 * features, untouched by dropout. The current event is the strongest single signal for the next
 * action and for churn (a purchase late at night ends a session); the state adds the history. The
 * action comes both embedded and one-hot: one-hot, the action head's weights on it are a first-order
 * Markov chain over actions, which training starts from (see training.ts).
 */
export function headInputSize(config: ModelConfig, actions: number): number {
  return headInputLayout(config, actions).size;
}

/** Offsets of the one-hot action and of the numeric features in a head's input. */
export function headInputLayout(
  config: ModelConfig,
  actions: number,
): { actionOneHot: number; numeric: number; size: number } {
  const actionOneHot = config.hiddenSize + config.actionEmbeddingSize;
  const numeric = actionOneHot + actions + 1 + config.hourEmbeddingSize;
  return { actionOneHot, numeric, size: numeric + STEP_NUMERIC_FEATURES };
}

export class SequenceModel {
  readonly encoderSpec: EncoderSpec;

  constructor(
    readonly config: ModelConfig,
    readonly vocabularies: FeatureVocabularies,
    readonly params: Params,
  ) {
    this.encoderSpec = encoderSpecFor(config);
  }

  static paramSpecs(config: ModelConfig, vocabularies: FeatureVocabularies): Record<string, ParamSpec> {
    const actions = vocabularies.actions.size;
    const { itemEmbeddingSize: r } = config;
    const h = headInputSize(config, actions);
    return {
      'emb.item': { shape: [vocabularies.items.size, r], init: 'embedding' },
      'emb.category': {
        shape: [vocabularies.categories.size, config.categoryEmbeddingSize],
        init: 'embedding',
      },
      'emb.action': { shape: [actions + 1, config.actionEmbeddingSize], init: 'embedding' },
      'emb.hour': { shape: [HOURS + 1, config.hourEmbeddingSize], init: 'embedding' },
      ...encoderParams(encoderSpecFor(config)),
      'head.action.w': { shape: [h, actions], init: 'glorot' },
      'head.action.b': { shape: [actions], init: 'zeros' },
      'head.churn.w': { shape: [h, 1], init: 'glorot' },
      'head.churn.b': { shape: [1], init: 'zeros' },
      'head.gate.w': { shape: [h, 1], init: 'glorot' },
      'head.gate.b': { shape: [1], init: 'zeros' },
      'head.query.w': { shape: [h, r], init: 'glorot' },
      'head.key.category': { shape: [config.categoryEmbeddingSize, r], init: 'glorot' },
      'head.key.action': { shape: [config.actionEmbeddingSize, r], init: 'glorot' },
      'head.item.bias': { shape: [vocabularies.items.size], init: 'zeros' },
      'head.rank.bias': { shape: [RANK_BUCKETS], init: 'zeros' },
      'head.count.bias': { shape: [COUNT_BUCKETS], init: 'zeros' },
      'head.age.bias': { shape: [AGE_BUCKETS], init: 'zeros' },
      'head.actionsSeen.bias': { shape: [ACTIONS_SEEN_BUCKETS], init: 'zeros' },
      'head.categoryRank.bias': { shape: [CATEGORY_RANK_BUCKETS], init: 'zeros' },
    };
  }

  static create(config: ModelConfig, vocabularies: FeatureVocabularies, seed: number): SequenceModel {
    return new SequenceModel(
      config,
      vocabularies,
      Params.create(SequenceModel.paramSpecs(config, vocabularies), seed),
    );
  }

  private project(x: tf.Tensor3D, weight: string, bias?: string): tf.Tensor3D {
    const [batch, length, width] = x.shape;
    const w = this.params.get(weight);
    const flat = tf.matMul(tf.reshape(x, [batch * length, width]), w);
    return (bias ? tf.add(flat, this.params.get(bias)) : flat).reshape([batch, length, w.shape[1] as number]);
  }

  /**
   * Each step's encoder input, the context the heads read next to the encoder state (the step's
   * action, hour and time features), and each step as a repeat candidate. Keys describe a candidate
   * by what was done with it and its category, not by its own item embedding: with a few events per
   * item and user, item-level affinities only memorise the training data. They are computed on
   * demand: incremental scoring reads its candidates elsewhere (HistoryHead), and their seven ops
   * were a tenth of the kernels a micro-batch ran.
   */
  embed(inputs: BatchTensors): { stepInputs: tf.Tensor3D; context: tf.Tensor3D; keys: () => tf.Tensor3D } {
    const itemEmbeddings = tf.gather(this.params.get('emb.item'), inputs.items) as tf.Tensor3D;
    const categoryEmbeddings = tf.gather(this.params.get('emb.category'), inputs.categories) as tf.Tensor3D;
    const actionEmbeddings = tf.gather(this.params.get('emb.action'), inputs.actions) as tf.Tensor3D;
    const hourEmbeddings = tf.gather(this.params.get('emb.hour'), inputs.hours) as tf.Tensor3D;
    const stepInputs = tf.concat(
      [itemEmbeddings, categoryEmbeddings, actionEmbeddings, hourEmbeddings, inputs.numeric],
      2,
    ) as tf.Tensor3D;
    const context = tf.concat(
      [
        actionEmbeddings,
        tf.oneHot(inputs.actions, this.vocabularies.actions.size + 1).toFloat(),
        hourEmbeddings,
        inputs.numeric,
      ],
      2,
    ) as tf.Tensor3D;
    const keys = () =>
      tf.add(
        this.project(categoryEmbeddings, 'head.key.category'),
        this.project(actionEmbeddings, 'head.key.action'),
      ) as tf.Tensor3D;
    return { stepInputs, context, keys };
  }

  /** What the heads read: the encoder state next to the step's context. */
  headStates(encoded: tf.Tensor3D, context: tf.Tensor3D): tf.Tensor3D {
    return tf.concat([encoded, context], 2) as tf.Tensor3D;
  }

  query(states: tf.Tensor3D): tf.Tensor3D {
    return this.project(states, 'head.query.w');
  }

  /**
   * Runs the encoder over every step; callers read the steps they need. In training, `dropout`
   * zeroes a random share of the step inputs (a new pattern per seed): with a few events per item
   * and user, the embeddings otherwise memorise the training data within two epochs.
   */
  steps(inputs: BatchTensors, dropout?: { rate: number; seed: number }): StepOutputs {
    const { stepInputs, context, keys } = this.embed(inputs);
    const encoded = encode(
      this.encoderSpec,
      this.params,
      dropout ? (tf.dropout(stepInputs, dropout.rate, undefined, dropout.seed) as tf.Tensor3D) : stepInputs,
      inputs.mask,
    );
    const states = this.headStates(encoded, context);
    return { states, query: this.query(states), keys: keys() };
  }

  actionLogits(states: tf.Tensor3D): tf.Tensor3D {
    return this.project(states, 'head.action.w', 'head.action.b');
  }

  /** [batch, length] logits of churn and of the repeat-vs-explore gate. */
  scalarHead(states: tf.Tensor3D, name: 'churn' | 'gate'): tf.Tensor2D {
    return tf.squeeze(this.project(states, `head.${name}.w`, `head.${name}.b`), [2]) as tf.Tensor2D;
  }

  /**
   * Repeat-head logits of query steps over their candidates: query-key affinity plus learned biases
   * for recency rank, occurrence count, age, the actions taken on the item and its rank within the
   * query step's category. Non-candidates get a large negative logit.
   */
  repeatLogits(query: tf.Tensor3D, keys: tf.Tensor3D, candidates: RepeatCandidates): tf.Tensor3D {
    const [batch, , length] = [query.shape[0], query.shape[1], keys.shape[1]];
    const shape: [number, number, number] = [batch, candidates.queries, length];
    const bias = (name: string, buckets: Int32Array) =>
      tf.gather(this.params.get(`head.${name}.bias`), tf.tensor3d(buckets, shape, 'int32'));
    const affinity = tf.mul(
      tf.matMul(query, keys, false, true),
      1 / Math.sqrt(this.config.itemEmbeddingSize),
    );
    const logits = tf.addN([
      affinity,
      bias('rank', candidates.rank),
      bias('count', candidates.count),
      bias('age', candidates.age),
      bias('actionsSeen', candidates.actionsSeen),
      bias('categoryRank', candidates.categoryRank),
    ]);
    return tf.add(logits, tf.mul(tf.sub(1, tf.tensor3d(candidates.allowed, shape)), -1e9)) as tf.Tensor3D;
  }

  /** Explore logits of query vectors [n, R] over the given item indexes (all items when omitted). */
  exploreLogits(query: tf.Tensor2D, candidates?: tf.Tensor1D): tf.Tensor2D {
    const embeddings = this.params.get('emb.item');
    const bias = this.params.get('head.item.bias');
    const table = candidates ? tf.gather(embeddings, candidates) : embeddings;
    const tableBias = candidates ? tf.gather(bias, candidates) : bias;
    return tf.add(tf.matMul(query, table, false, true), tableBias) as tf.Tensor2D;
  }

  dispose(): void {
    this.params.dispose();
  }
}
