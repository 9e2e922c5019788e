import type { UserEvent } from '../../events/event.js';
import type { CleaningReport } from '../../features/cleaning.js';
import type { LoadedModel } from '../modelFolder.js';
import { buildBaselines } from './baselines.js';
import { type EvaluationReport, evaluatePredictor, protocolReport } from './evaluate.js';
import { modelPredictor } from './modelPredictor.js';
import { splitForEvaluation } from './protocol.js';

export interface EvaluateOptions {
  testFromMs?: number;
  churnHorizonMs: number;
  k: number;
  cleaning?: CleaningReport;
  onProgress?: (predictor: string) => void;
}

/** The whole report: the protocol, the model and every baseline, all on the same cases. */
export function evaluateOnEvents(
  loaded: LoadedModel | null,
  events: readonly UserEvent[],
  actions: readonly string[],
  options: EvaluateOptions,
): EvaluationReport {
  const split = splitForEvaluation(events, {
    churnHorizonMs: options.churnHorizonMs,
    ...(options.testFromMs ? { testFromMs: options.testFromMs } : {}),
  });
  const baselines: EvaluationReport['baselines'] = {};
  for (const baseline of buildBaselines({
    actions,
    train: split.train,
    churnHorizonMs: options.churnHorizonMs,
    testFromMs: split.testFromMs,
  })) {
    options.onProgress?.(baseline.name);
    baselines[baseline.name] = evaluatePredictor(baseline, split, actions, options.k);
  }
  let model: EvaluationReport['model'] = null;
  if (loaded) {
    options.onProgress?.('model');
    model = evaluatePredictor(
      modelPredictor(loaded.model, loaded.metadata.decisionWeights, options.k),
      split,
      actions,
      options.k,
    );
  }
  return {
    protocol: protocolReport(split, options.k, {
      ...(options.cleaning ? { cleaning: options.cleaning } : {}),
      ...(loaded
        ? {
            modelVersion: loaded.metadata.version,
            architecture: loaded.metadata.model.architecture,
            modelChurnHorizonSeconds: loaded.metadata.churnHorizonMs / 1000,
          }
        : {}),
    }),
    model,
    baselines,
  };
}
