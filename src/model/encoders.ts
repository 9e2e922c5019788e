import * as tf from '@tensorflow/tfjs';
import { gruAllStates } from './ops/gruAllStates.js';
import type { ParamSpec, Params } from './params.js';

/**
 * Sequence encoders: each maps step inputs [batch, length, input] and a padding mask [batch, length]
 * to one state per step [batch, length, hidden], where the state at step t depends only on steps <= t.
 * Every step's state can therefore be trained against the next event in one pass, and the last
 * step's state is what scoring uses. Recurrent encoders carry their state through padded steps
 * unchanged, so left padding never alters a result.
 */
export const ARCHITECTURES = ['gru', 'lstm', 'rnn', 'attention'] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

export interface EncoderSpec {
  architecture: Architecture;
  inputSize: number;
  hiddenSize: number;
  /** Longest sequence the attention encoder has position embeddings for. */
  maxLength: number;
}

/** Gate blocks per recurrent architecture: GRU has update/reset/candidate, LSTM input/forget/cell/output. */
const GATES: Record<Exclude<Architecture, 'attention'>, number> = { gru: 3, lstm: 4, rnn: 1 };
const ATTENTION_BLOCKS = 2;

export function encoderParams(spec: EncoderSpec): Record<string, ParamSpec> {
  const { inputSize: d, hiddenSize: h } = spec;
  if (spec.architecture === 'attention') {
    const params: Record<string, ParamSpec> = {
      'enc.in.w': { shape: [d, h], init: 'glorot' },
      'enc.in.b': { shape: [h], init: 'zeros' },
      'enc.pos': { shape: [spec.maxLength, h], init: 'embedding' },
      'enc.ln.g': { shape: [h], init: 'ones' },
      'enc.ln.b': { shape: [h], init: 'zeros' },
    };
    for (let block = 0; block < ATTENTION_BLOCKS; block++) {
      for (const name of ['q', 'k', 'v', 'o', 'ff1', 'ff2']) {
        params[`enc.${block}.${name}.w`] = { shape: [h, h], init: 'glorot' };
        params[`enc.${block}.${name}.b`] = { shape: [h], init: 'zeros' };
      }
      for (const norm of ['ln1', 'ln2']) {
        params[`enc.${block}.${norm}.g`] = { shape: [h], init: 'ones' };
        params[`enc.${block}.${norm}.b`] = { shape: [h], init: 'zeros' };
      }
    }
    return params;
  }
  const gates = GATES[spec.architecture];
  return {
    'enc.wx': { shape: [d, gates * h], init: 'glorot' },
    'enc.wh': { shape: [h, gates * h], init: 'glorot' },
    'enc.b': { shape: [gates * h], init: spec.architecture === 'lstm' ? 'forgetBias' : 'zeros' },
    ...(spec.architecture === 'gru' ? { 'enc.bh': { shape: [gates * h], init: 'zeros' } as ParamSpec } : {}),
  };
}

/** One recurrent step. `x` is the step's input already multiplied by enc.wx (plus enc.b). */
export interface RecurrentState {
  h: tf.Tensor2D;
  c?: tf.Tensor2D;
}

export function recurrentStep(
  architecture: Exclude<Architecture, 'attention'>,
  params: Params,
  x: tf.Tensor2D,
  state: RecurrentState,
): RecurrentState {
  const hw = tf.matMul(state.h, params.get('enc.wh'));
  if (architecture === 'rnn') return { h: tf.tanh(tf.add(x, hw)) as tf.Tensor2D };
  if (architecture === 'gru') {
    // The "reset after" GRU (as in cuDNN and Keras 2): one matmul of h serves all three gates.
    const [xz, xr, xn] = tf.split(x, 3, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
    const [hz, hr, hn] = tf.split(tf.add(hw, params.get('enc.bh')), 3, 1) as [
      tf.Tensor2D,
      tf.Tensor2D,
      tf.Tensor2D,
    ];
    const z = tf.sigmoid(tf.add(xz, hz));
    const r = tf.sigmoid(tf.add(xr, hr));
    const n = tf.tanh(tf.add(xn, tf.mul(r, hn)));
    return { h: tf.add(n, tf.mul(z, tf.sub(state.h, n))) as tf.Tensor2D };
  }
  const [i, f, g, o] = tf.split(tf.add(x, hw), 4, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
  const c = tf.add(
    tf.mul(tf.sigmoid(f), state.c as tf.Tensor2D),
    tf.mul(tf.sigmoid(i), tf.tanh(g)),
  ) as tf.Tensor2D;
  return { h: tf.mul(tf.sigmoid(o), tf.tanh(c)), c };
}

/** Step inputs [batch, length, input] times enc.wx plus enc.b: what each recurrent step adds. */
export function projectStepInputs(spec: EncoderSpec, params: Params, inputs: tf.Tensor3D): tf.Tensor3D {
  const [batch, length] = inputs.shape;
  return tf
    .add(
      tf.matMul(tf.reshape(inputs, [batch * length, spec.inputSize]), params.get('enc.wx')),
      params.get('enc.b'),
    )
    .reshape([batch, length, -1]);
}

function runRecurrent(
  architecture: Exclude<Architecture, 'attention'>,
  spec: EncoderSpec,
  params: Params,
  inputs: tf.Tensor3D,
  mask: tf.Tensor2D,
): { outputs: tf.Tensor2D[]; state: RecurrentState } {
  const [batch] = inputs.shape;
  const steps = tf.unstack(projectStepInputs(spec, params, inputs), 1) as tf.Tensor2D[];
  const masks = tf.unstack(tf.expandDims(mask, 2), 1) as tf.Tensor2D[];
  let state: RecurrentState = { h: tf.zeros([batch, spec.hiddenSize]) };
  if (architecture === 'lstm') state.c = tf.zeros([batch, spec.hiddenSize]);
  const outputs: tf.Tensor2D[] = [];
  steps.forEach((x, t) => {
    const next = recurrentStep(architecture, params, x, state);
    const m = masks[t] as tf.Tensor2D;
    const keep = (updated: tf.Tensor2D, previous: tf.Tensor2D) =>
      tf.add(previous, tf.mul(m, tf.sub(updated, previous))) as tf.Tensor2D;
    state = {
      h: keep(next.h, state.h),
      ...(state.c && next.c ? { c: keep(next.c, state.c) } : {}),
    };
    outputs.push(state.h);
  });
  return { outputs, state };
}

function encodeRecurrent(
  architecture: Exclude<Architecture, 'attention'>,
  spec: EncoderSpec,
  params: Params,
  inputs: tf.Tensor3D,
  mask: tf.Tensor2D,
): tf.Tensor3D {
  if (architecture === 'gru') {
    return gruAllStates(
      projectStepInputs(spec, params, inputs),
      mask,
      params.get('enc.wh') as tf.Tensor2D,
      params.get('enc.bh') as tf.Tensor1D,
    );
  }
  return tf.stack(runRecurrent(architecture, spec, params, inputs, mask).outputs, 1) as tf.Tensor3D;
}

/** A recurrent encoder's state after the last step: what scoring carries from one event to the next. */
export function recurrentFinalState(
  spec: EncoderSpec,
  params: Params,
  inputs: tf.Tensor3D,
  mask: tf.Tensor2D,
): RecurrentState {
  if (spec.architecture === 'attention') throw new Error('the attention encoder has no recurrent state');
  if (spec.architecture === 'gru') {
    // Padded steps keep the state, so the last step's state is the final one.
    const states = encodeRecurrent('gru', spec, params, inputs, mask);
    const [batch, length] = states.shape;
    return {
      h: tf.reshape(tf.slice(states, [0, length - 1, 0], [batch, 1, spec.hiddenSize]), [
        batch,
        spec.hiddenSize,
      ]),
    };
  }
  return runRecurrent(spec.architecture, spec, params, inputs, mask).state;
}

function layerNorm(x: tf.Tensor3D, gain: tf.Tensor, bias: tf.Tensor): tf.Tensor3D {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-6))), gain), bias) as tf.Tensor3D;
}

function dense3d(x: tf.Tensor3D, params: Params, name: string): tf.Tensor3D {
  const [batch, length, width] = x.shape;
  const w = params.get(`${name}.w`);
  return tf
    .add(tf.matMul(tf.reshape(x, [batch * length, width]), w), params.get(`${name}.b`))
    .reshape([batch, length, w.shape[1] as number]);
}

/** SASRec-style: self-attention blocks where each step attends to itself and earlier real steps only. */
function encodeAttention(
  spec: EncoderSpec,
  params: Params,
  inputs: tf.Tensor3D,
  mask: tf.Tensor2D,
): tf.Tensor3D {
  const [, length] = inputs.shape;
  // Positions count from each sequence's first real event, so left padding does not shift them.
  const positions = tf.clipByValue(tf.sub(tf.cumsum(mask, 1), 1), 0, spec.maxLength - 1).toInt();
  let x = tf.add(
    dense3d(inputs, params, 'enc.in'),
    tf.gather(params.get('enc.pos'), positions),
  ) as tf.Tensor3D;
  const causal = tf.linalg.bandPart(tf.ones([length, length]), -1, 0);
  const allowed = tf.mul(tf.expandDims(causal, 0), tf.expandDims(mask, 1));
  const blocked = tf.mul(tf.sub(1, allowed), -1e9);
  const scale = 1 / Math.sqrt(spec.hiddenSize);
  for (let block = 0; block < ATTENTION_BLOCKS; block++) {
    const normed = layerNorm(x, params.get(`enc.${block}.ln1.g`), params.get(`enc.${block}.ln1.b`));
    const q = dense3d(normed, params, `enc.${block}.q`);
    const k = dense3d(normed, params, `enc.${block}.k`);
    const v = dense3d(normed, params, `enc.${block}.v`);
    const weights = tf.softmax(tf.add(tf.mul(tf.matMul(q, k, false, true), scale), blocked));
    x = tf.add(x, dense3d(tf.matMul(weights, v) as tf.Tensor3D, params, `enc.${block}.o`)) as tf.Tensor3D;
    const normed2 = layerNorm(x, params.get(`enc.${block}.ln2.g`), params.get(`enc.${block}.ln2.b`));
    const hidden = tf.relu(dense3d(normed2, params, `enc.${block}.ff1`)) as tf.Tensor3D;
    x = tf.add(x, dense3d(hidden, params, `enc.${block}.ff2`)) as tf.Tensor3D;
  }
  return layerNorm(x, params.get('enc.ln.g'), params.get('enc.ln.b'));
}

export function encode(
  spec: EncoderSpec,
  params: Params,
  inputs: tf.Tensor3D,
  mask: tf.Tensor2D,
): tf.Tensor3D {
  return spec.architecture === 'attention'
    ? encodeAttention(spec, params, inputs, mask)
    : encodeRecurrent(spec.architecture, spec, params, inputs, mask);
}
