import { ActionVocabulary } from '../events/actionVocabulary.js';
import { describeSource, type EventSource, loadEvents } from '../events/eventSources.js';
import { initBackend } from './backend.js';
import type { BackendName, BackendPreference } from './backendNames.js';
import { saveModelFolder } from './modelFolder.js';
import type { ModelMetadata } from './modelMetadata.js';
import { type TrainOptions, trainGruModel } from './training.js';

export interface TrainJobOptions
  extends Omit<TrainOptions, 'source' | 'actions' | 'onBatchEnd' | 'onEpochEnd'> {
  actions: readonly string[];
  backend: BackendPreference;
  aliases: Readonly<Record<string, string>>;
  out: string;
  onLoaded?: (events: number, invalid: Record<string, number>) => void;
  onBackend?: (backend: BackendName) => void;
  onBatchEnd?: TrainOptions['onBatchEnd'];
  onEpochEnd?: TrainOptions['onEpochEnd'];
}

/** Reads a source, trains on the best backend available for training, and saves the model folder. */
export async function trainAndSave(source: EventSource, options: TrainJobOptions): Promise<ModelMetadata> {
  const vocabulary = new ActionVocabulary(options.actions, options.aliases);
  const { events, invalid } = await loadEvents(source, vocabulary);
  options.onLoaded?.(events.length, invalid);
  const backend = await initBackend(options.backend, 'training');
  options.onBackend?.(backend);
  const { model, metadata } = await trainGruModel(events, { ...options, source: describeSource(source) });
  try {
    await saveModelFolder(options.out, model, metadata);
  } finally {
    model.dispose();
  }
  return metadata;
}
