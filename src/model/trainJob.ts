import { ActionVocabulary } from '../events/actionVocabulary.js';
import { describeSource, type EventSource, loadEvents } from '../events/eventSources.js';
import { initBackend } from './backend.js';
import { saveModelFolder } from './modelFolder.js';
import type { ModelMetadata } from './modelMetadata.js';
import { type TrainOptions, trainGruModel } from './training.js';

export interface TrainJobOptions
  extends Omit<TrainOptions, 'source' | 'actions' | 'onBatchEnd' | 'onEpochEnd'> {
  actions: readonly string[];
  aliases: Readonly<Record<string, string>>;
  out: string;
  onLoaded?: (events: number, invalid: Record<string, number>) => void;
  onBatchEnd?: TrainOptions['onBatchEnd'];
  onEpochEnd?: TrainOptions['onEpochEnd'];
}

/** Reads a source, trains on the CPU backend (the only one here that can), and saves the model folder. */
export async function trainAndSave(source: EventSource, options: TrainJobOptions): Promise<ModelMetadata> {
  const vocabulary = new ActionVocabulary(options.actions, options.aliases);
  const { events, invalid } = await loadEvents(source, vocabulary);
  options.onLoaded?.(events.length, invalid);
  await initBackend('cpu', 'training');
  const { model, metadata } = await trainGruModel(events, { ...options, source: describeSource(source) });
  try {
    await saveModelFolder(options.out, model, metadata);
  } finally {
    model.dispose();
  }
  return metadata;
}
