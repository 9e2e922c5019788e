import type { SequenceEvent } from '../features/sequenceEncoding.js';
import { type ItemScore, predictLast } from './inference.js';
import type { LoadedModel } from './modelFolder.js';

export interface SequenceScore {
  /** Probability of each action being the user's next one, by canonical action name. */
  nextAction: Record<string, number>;
  /** Probability that the user has no further event within the model's churn horizon. */
  churn: number;
  /** The most likely next items, best first. */
  nextItems: ItemScore[];
}

/** Scores many users' histories with one forward pass of the model. */
export class Scorer {
  readonly version: string;
  readonly architecture: string;
  readonly churnHorizonMs: number;

  constructor(
    private readonly loaded: LoadedModel,
    private readonly topK: number,
  ) {
    this.version = loaded.metadata.version;
    this.architecture = loaded.metadata.model.architecture;
    this.churnHorizonMs = loaded.metadata.churnHorizonMs;
  }

  /** Fails fast when the running configuration's actions differ from those the model was trained on. */
  assertActions(actions: readonly string[]): void {
    const trained = this.loaded.metadata.vocabularies.actions;
    if (trained.length !== actions.length || trained.some((action, i) => action !== actions[i])) {
      throw new Error(
        `model ${this.version} was trained on actions [${trained.join(', ')}], ` +
          `but SEQSCORE_ACTIONS is [${actions.join(', ')}]`,
      );
    }
  }

  score(sequences: readonly (readonly SequenceEvent[])[]): SequenceScore[] {
    const actions = this.loaded.model.vocabularies.actions.actions;
    return predictLast(this.loaded.model, sequences, this.topK).map((prediction) => ({
      nextAction: Object.fromEntries(actions.map((action, i) => [action, prediction.nextAction[i] ?? 0])),
      churn: prediction.churn,
      nextItems: prediction.nextItems,
    }));
  }
}
