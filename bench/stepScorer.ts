import * as tf from '@tensorflow/tfjs';
import { gruStep } from '../src/model/ops/gruSequence.js';
import type { BenchModel } from './benchModel.js';

export interface StepInputs {
  /** [batch] item ids of each user's new event */
  items: tf.Tensor1D;
  /** [batch] action ids (1..A) */
  actions: tf.Tensor1D;
  /** [batch, 1] scaled time gaps */
  gaps: tf.Tensor2D;
}

export interface StepOutputs {
  state: tf.Tensor2D;
  nextAction: tf.Tensor2D;
  churn: tf.Tensor2D;
}

/**
 * Incremental scoring: one recurrent step per event from each user's stored GRU state, with the
 * trained weights, so a step gives what the whole-sequence model gives for the history so far.
 */
export function createStepScorer(model: BenchModel): (state: tf.Tensor2D, inputs: StepInputs) => StepOutputs {
  const { itemEmbedding, actionEmbedding, gru, nextAction, churn } = model.layers;
  const [kernel, recurrentKernel, bias] = gru.trainableWeights.map((weight) => weight.read());
  const weights = {
    kernel: kernel as tf.Tensor2D,
    recurrentKernel: recurrentKernel as tf.Tensor2D,
    bias: bias as tf.Tensor1D,
  };
  return (state, inputs) =>
    tf.tidy(() => {
      const step = tf.concat(
        [
          itemEmbedding.apply(inputs.items) as tf.Tensor2D,
          actionEmbedding.apply(inputs.actions) as tf.Tensor2D,
          inputs.gaps,
        ],
        1,
      );
      const newState = gruStep(step, state, weights);
      return {
        state: newState,
        nextAction: nextAction.apply(newState) as tf.Tensor2D,
        churn: churn.apply(newState) as tf.Tensor2D,
      };
    });
}
