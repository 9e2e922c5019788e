import * as tf from '@tensorflow/tfjs';
import { ActionVocabulary } from '../events/actionVocabulary.js';
import { encodeSequences, type SequenceEvent } from '../features/sequenceEncoding.js';
import type { LoadedModel } from './modelFolder.js';

export interface SequenceScore {
  /** Probability of each action being the user's next one, by canonical action name. */
  nextAction: Record<string, number>;
  /** Probability that the user has no further event within the model's churn horizon. */
  churn: number;
}

/** Scores many users' histories with one forward pass of the model. */
export class Scorer {
  readonly version: string;
  readonly churnHorizonMs: number;
  private readonly vocabulary: ActionVocabulary;

  constructor(private readonly loaded: LoadedModel) {
    this.version = loaded.metadata.version;
    this.churnHorizonMs = loaded.metadata.churnHorizonMs;
    this.vocabulary = new ActionVocabulary(loaded.metadata.actions);
  }

  /** Fails fast when the running configuration's actions differ from those the model was trained on. */
  assertActions(actions: readonly string[]): void {
    const trained = this.loaded.metadata.actions;
    if (trained.length !== actions.length || trained.some((action, i) => action !== actions[i])) {
      throw new Error(
        `model ${this.version} was trained on actions [${trained.join(', ')}], ` +
          `but SEQSCORE_ACTIONS is [${actions.join(', ')}]`,
      );
    }
  }

  score(sequences: readonly (readonly SequenceEvent[])[]): SequenceScore[] {
    if (sequences.length === 0) return [];
    const batch = encodeSequences(sequences, this.vocabulary, this.loaded.metadata.maxSequenceLength);
    const [nextAction, churn] = tf.tidy(() => {
      const actions = tf.tensor2d(batch.actions, [batch.batchSize, batch.length], 'int32');
      const gaps = tf.tensor3d(batch.gaps, [batch.batchSize, batch.length, 1]);
      const outputs = this.loaded.model.predict([actions, gaps]) as tf.Tensor[];
      return outputs.map((output) => output.dataSync() as Float32Array);
    }) as unknown as [Float32Array, Float32Array];
    const actionCount = this.vocabulary.size;
    return sequences.map((_, row) => {
      const probabilities: Record<string, number> = {};
      this.vocabulary.actions.forEach((action, column) => {
        probabilities[action] = nextAction[row * actionCount + column] ?? 0;
      });
      return { nextAction: probabilities, churn: churn[row] ?? 0 };
    });
  }
}
