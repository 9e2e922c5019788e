import type { SequenceEvent } from '../features/sequenceEncoding.js';
import { assignSegment } from '../insights/segments.js';
import { ExploreShortlist } from './exploreShortlist.js';
import { IncrementalScorer, type StepCounts, type UserSteps } from './incrementalScorer.js';
import { type ItemScore, type Prediction, predictLast } from './inference.js';
import type { LoadedModel } from './modelFolder.js';
import type { Segments } from './segmentsFile.js';

export interface SequenceScore {
  /** Probability of each action being the user's next one, by canonical action name. */
  nextAction: Record<string, number>;
  /** Probability that the user has no further event within the model's churn horizon. */
  churn: number;
  /** The most likely next items, best first. */
  nextItems: ItemScore[];
  /** The user's segment (nearest centroid of the model's segments), when the model has segments. */
  segment?: number;
}

export interface UserScores {
  scores: SequenceScore[];
  /** The model state to store with the user's window; null keeps what is stored. */
  modelState: Buffer | null;
  /** The user's embedding after its last event (for profiles); undefined for models without state. */
  embedding?: Float32Array;
}

export interface ScorerOptions {
  topK: number;
  /** Explore items scored exactly per event; 0 scores the whole vocabulary. */
  exploreCandidates: number;
  /** The model's user segments (segments.json), to tag each score with the user's segment. */
  segments?: Pick<Segments, 'centroids'>;
}

/** Scores users' new events: one recurrent step each from their stored states, batched over users. */
export class Scorer {
  readonly version: string;
  readonly architecture: string;
  readonly churnHorizonMs: number;
  private readonly shortlist: ExploreShortlist | undefined;
  private readonly incremental: IncrementalScorer;

  constructor(
    private readonly loaded: LoadedModel,
    private readonly options: ScorerOptions,
  ) {
    this.version = loaded.metadata.version;
    this.architecture = loaded.metadata.model.architecture;
    this.churnHorizonMs = loaded.metadata.churnHorizonMs;
    this.shortlist = ExploreShortlist.build(loaded.model, options.exploreCandidates);
    this.incremental = new IncrementalScorer(loaded.model, this.version, options.topK, this.shortlist);
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

  scoreUsers(users: readonly UserSteps[], counts?: StepCounts): UserScores[] {
    const { segments } = this.options;
    return this.incremental.score(users, counts).map((user) => ({
      scores: user.predictions.map((prediction, i) => {
        const score = this.named(prediction);
        const embedding = user.embeddings[i];
        if (segments && embedding) score.segment = assignSegment(segments, embedding);
        return score;
      }),
      modelState: user.modelState,
      ...(user.embeddings.at(-1) ? { embedding: user.embeddings.at(-1) as Float32Array } : {}),
    }));
  }

  /** Whole-sequence scoring of histories, as evaluation and explanations use it. */
  score(sequences: readonly (readonly SequenceEvent[])[]): SequenceScore[] {
    return predictLast(this.loaded.model, sequences, this.options.topK, this.shortlist).map((prediction) =>
      this.named(prediction),
    );
  }

  dispose(): void {
    this.shortlist?.dispose();
  }

  private named(prediction: Prediction): SequenceScore {
    const actions = this.loaded.model.vocabularies.actions.actions;
    // A plain loop: Object.fromEntries over mapped pairs cost about 0.6 µs more an event.
    const nextAction: Record<string, number> = {};
    for (let i = 0; i < actions.length; i++) nextAction[actions[i] as string] = prediction.nextAction[i] ?? 0;
    return {
      nextAction,
      churn: prediction.churn,
      nextItems: prediction.nextItems,
    };
  }
}
