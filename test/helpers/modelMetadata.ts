import type { ModelMetadata } from '../../src/model/modelMetadata.js';
import type { SequenceModel } from '../../src/model/sequenceModel.js';

/** Metadata for a model that tests build and save without training it. */
export function untrainedMetadata(model: SequenceModel, version: string): Omit<ModelMetadata, 'weights'> {
  const { actions, items, categories } = model.vocabularies;
  return {
    formatVersion: 2,
    version,
    createdAt: new Date(0).toISOString(),
    model: model.config,
    vocabularies: { actions: [...actions.actions], items: items.toJSON(), categories: categories.toJSON() },
    churnHorizonMs: 3_600_000,
    decisionWeights: actions.actions.map(() => 1),
    training: {
      source: 'none',
      events: 0,
      testFrom: '',
      validFrom: '',
      seed: 1,
      bestEpoch: 0,
      epochs: [],
      options: {},
    },
  };
}
