import * as tf from '@tensorflow/tfjs';
import { fnv1a } from '../features/idVocabulary.js';

/**
 * The model's weights: named variables, created from a seed so that training is reproducible.
 */
export type Initializer = 'glorot' | 'embedding' | 'zeros' | 'ones' | 'forgetBias';

export interface ParamSpec {
  shape: number[];
  init: Initializer;
}

/** tfjs variable names are global, and two models (or one being retrained) must not collide. */
let instances = 0;
const uniqueName = (name: string) => `${name}#${++instances}`;

export class Params {
  private constructor(readonly variables: Map<string, tf.Variable>) {}

  static create(specs: Record<string, ParamSpec>, seed: number): Params {
    const variables = new Map<string, tf.Variable>();
    for (const [name, spec] of Object.entries(specs)) {
      const paramSeed = (seed * 7919 + fnv1a(name)) % 2_147_483_647;
      variables.set(name, tf.variable(initialValue(spec, paramSeed), true, uniqueName(name)));
    }
    return new Params(variables);
  }

  /** Takes ownership of the tensors as trainable variables. */
  static fromTensors(tensors: Record<string, tf.Tensor>): Params {
    return new Params(
      new Map(
        Object.entries(tensors).map(([name, tensor]) => [name, tf.variable(tensor, true, uniqueName(name))]),
      ),
    );
  }

  get(name: string): tf.Variable {
    const variable = this.variables.get(name);
    if (!variable) throw new Error(`the model has no parameter "${name}"`);
    return variable;
  }

  has(name: string): boolean {
    return this.variables.has(name);
  }

  /** Parameters by their model-level names (the variables' own names carry a unique suffix). */
  named(): Record<string, tf.Variable> {
    return Object.fromEntries(this.variables);
  }

  list(): tf.Variable[] {
    return [...this.variables.values()];
  }

  /** Copies of the current values, to restore the best epoch after early stopping. */
  snapshot(): Map<string, tf.Tensor> {
    return new Map([...this.variables.entries()].map(([name, variable]) => [name, tf.clone(variable)]));
  }

  restore(snapshot: Map<string, tf.Tensor>): void {
    for (const [name, value] of snapshot) this.get(name).assign(value);
  }

  dispose(): void {
    for (const variable of this.variables.values()) variable.dispose();
  }
}

function initialValue(spec: ParamSpec, seed: number): tf.Tensor {
  const { shape } = spec;
  switch (spec.init) {
    case 'zeros':
      return tf.zeros(shape);
    case 'ones':
      return tf.ones(shape);
    case 'forgetBias': {
      // LSTM: start with the forget gate open (bias 1 on its quarter), the usual remedy for early vanishing.
      const size = shape[0] as number;
      const values = new Float32Array(size);
      values.fill(1, size / 4, size / 2);
      return tf.tensor1d(values);
    }
    case 'embedding':
      return tf.randomNormal(shape, 0, 0.05, 'float32', seed);
    case 'glorot': {
      const fanIn = shape[0] as number;
      const fanOut = shape[shape.length - 1] as number;
      const limit = Math.sqrt(6 / (fanIn + fanOut));
      return tf.randomUniform(shape, -limit, limit, 'float32', seed);
    }
  }
}
