import { ActionVocabulary } from '../events/actionVocabulary.js';
import type { UserEvent } from '../events/event.js';
import { describeSource, type EventSource, loadEvents } from '../events/eventSources.js';
import { type CleaningReport, cleanEvents } from '../features/cleaning.js';
import { initBackend } from './backend.js';
import type { BackendName, BackendPreference } from './backendNames.js';
import type { EvaluationReport } from './evaluation/evaluate.js';
import { evaluateOnEvents } from './evaluation/evaluateOnEvents.js';
import { defaultTestFrom } from './evaluation/protocol.js';
import { saveModelFolder } from './modelFolder.js';
import type { ModelMetadata } from './modelMetadata.js';
import { type TrainOptions, trainSequenceModel } from './training.js';

export interface TrainJobOptions
  extends Omit<TrainOptions, 'actions' | 'trainEndMs' | 'validFromMs' | 'onBatchEnd' | 'onEpochEnd'> {
  actions: readonly string[];
  aliases: Readonly<Record<string, string>>;
  backend: BackendPreference;
  out: string;
  /** Default: the last 20% of the data's time span is held out (and evaluated on). */
  testFromMs?: number;
  /** Cut-off of the ranked next items in the saved evaluation. */
  k: number;
  /** Evaluate on the held-out period (default true); the demo skips it to start sooner. */
  evaluate?: boolean;
  onLoaded?: (events: number, invalid: Record<string, number>, cleaning: CleaningReport) => void;
  onBackend?: (backend: BackendName) => void;
  onBatchEnd?: TrainOptions['onBatchEnd'];
  onEpochEnd?: TrainOptions['onEpochEnd'];
  onEvaluating?: (predictor: string) => void;
  /** The saved model's version; default `<architecture>-<UTC time>-s<seed>`. */
  version?: string;
}

/** The validation split: the last 15% of the training period, by time. */
const VALIDATION_SHARE = 0.15;

/**
 * Reads and cleans a source, trains on the events before the test period (early stopping on the
 * validation split at its end), evaluates on the test period against the baselines, and saves the
 * model folder with that evaluation.
 */
export async function trainAndSave(
  source: EventSource,
  options: TrainJobOptions,
): Promise<{ metadata: ModelMetadata; evaluation: EvaluationReport | null }> {
  const vocabulary = new ActionVocabulary(options.actions, options.aliases);
  const loaded = await loadEvents(source, vocabulary);
  const { events, report: cleaning } = cleanEvents(loaded.events);
  options.onLoaded?.(events.length, loaded.invalid, cleaning);
  return trainOnEvents(events, cleaning, describeSource(source), options);
}

/** trainAndSave on events already read and cleaned. */
export async function trainOnEvents(
  events: readonly UserEvent[],
  cleaning: CleaningReport,
  sourceDescription: string,
  options: TrainJobOptions,
): Promise<{ metadata: ModelMetadata; evaluation: EvaluationReport | null }> {
  const vocabulary = new ActionVocabulary(options.actions, options.aliases);
  const backend = await initBackend(options.backend, 'training');
  options.onBackend?.(backend);
  const testFromMs = options.testFromMs ?? defaultTestFrom(events);
  const startMs = events.reduce((min, event) => Math.min(min, event.tsMs), Number.POSITIVE_INFINITY);
  const validFromMs = Math.round(testFromMs - VALIDATION_SHARE * (testFromMs - startMs));
  const result = await trainSequenceModel(events, {
    ...options,
    actions: vocabulary.actions,
    trainEndMs: testFromMs,
    validFromMs,
  });
  const createdAt = new Date();
  const stamp = createdAt.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
  const metadata: Omit<ModelMetadata, 'weights'> = {
    formatVersion: 2,
    version: options.version ?? `${options.model.architecture}-${stamp}-s${options.seed}`,
    createdAt: createdAt.toISOString(),
    model: options.model,
    vocabularies: {
      actions: [...vocabulary.actions],
      items: result.model.vocabularies.items.toJSON(),
      categories: result.model.vocabularies.categories.toJSON(),
    },
    churnHorizonMs: options.churnHorizonMs,
    decisionWeights: result.decisionWeights,
    training: {
      source: sourceDescription,
      events: events.length,
      testFrom: new Date(testFromMs).toISOString(),
      validFrom: new Date(validFromMs).toISOString(),
      seed: options.seed,
      bestEpoch: result.bestEpoch,
      epochs: result.epochs.map((epoch) => ({ ...epoch })),
      options: {
        backend,
        batchSize: options.batchSize,
        learningRate: options.learningRate,
        lossWeights: options.lossWeights,
        negatives: options.negatives,
        dropout: options.dropout,
        patience: options.patience,
        trainingChunks: result.chunks,
      },
    },
  };
  try {
    const evaluation = evaluateOnEvents(
      { model: result.model, metadata: { ...metadata, weights: [] } },
      events,
      vocabulary.actions,
      {
        testFromMs,
        churnHorizonMs: options.churnHorizonMs,
        k: options.k,
        cleaning,
        ...(options.onEvaluating ? { onProgress: options.onEvaluating } : {}),
      },
    );
    const saved = await saveModelFolder(options.out, result.model, metadata, evaluation);
    return { metadata: saved, evaluation };
  } finally {
    result.model.dispose();
  }
}
