import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errorSummary, type Logger } from '../logger.js';
import type { Metrics } from '../metrics/metrics.js';
import type { EvaluationReport } from '../model/evaluation/evaluate.js';
import { EVALUATION_FILE, type LoadedModel, loadModelFolder } from '../model/modelFolder.js';
import { Scorer } from '../model/scorer.js';
import { loadSegments } from '../model/segmentsFile.js';
import { evaluationMetrics } from '../retrain/promotionRule.js';

/**
 * The model a worker scores with, and the switch to a newly promoted one. The batch processor asks
 * for the scorer once per micro-batch, so replacing it here switches between two batches without
 * stopping consumption. A new version is loaded and tried completely before it replaces the old one;
 * one that cannot be loaded, was made for other actions, or gives no finite scores is refused and
 * the model in use is kept. The old model is freed once no micro-batch is in flight.
 */

export class ModelRefusedError extends Error {
  override readonly name = 'ModelRefusedError';
}

export interface ActiveModel {
  scorer: Scorer;
  loaded: LoadedModel;
  /** Its metrics on its evaluation period, when the folder holds an evaluation. */
  evaluation: Record<string, number>;
}

export interface ModelCheck {
  actions: readonly string[];
  topK: number;
  exploreCandidates: number;
}

/** A history of one event, to try a forward pass on before a model may score anything. */
const PROBE = [{ itemId: 'probe', categoryId: null, action: '', tsMs: Date.UTC(2020, 0, 1) }];

/** Loads a model folder and tries it; throws ModelRefusedError saying why it cannot be used. */
export async function loadCheckedModel(
  folder: string,
  check: ModelCheck,
  expectedVersion?: string,
): Promise<ActiveModel> {
  let loaded: LoadedModel;
  try {
    loaded = await loadModelFolder(folder);
  } catch (error) {
    throw new ModelRefusedError((error as Error).message);
  }
  let scorer: Scorer | undefined;
  try {
    const { metadata } = loaded;
    if (expectedVersion !== undefined && metadata.version !== expectedVersion) {
      throw new ModelRefusedError(`${folder} holds model ${metadata.version}, not ${expectedVersion}`);
    }
    const segments = await loadSegments(folder, metadata.version);
    const width = segments?.centroids[0]?.length;
    if (width !== undefined && width !== metadata.model.hiddenSize) {
      throw new ModelRefusedError(
        `the segments of ${metadata.version} have centroids of ${width} values, its state ${metadata.model.hiddenSize}`,
      );
    }
    scorer = new Scorer(loaded, {
      topK: check.topK,
      exploreCandidates: check.exploreCandidates,
      ...(segments ? { segments } : {}),
    });
    try {
      scorer.assertActions(check.actions);
    } catch (error) {
      throw new ModelRefusedError((error as Error).message);
    }
    const [probe] = scorer.score([PROBE.map((event) => ({ ...event, action: check.actions[0] as string }))]);
    const values = [...Object.values(probe?.nextAction ?? {}), probe?.churn ?? Number.NaN];
    if (values.length <= 1 || values.some((value) => !Number.isFinite(value))) {
      throw new ModelRefusedError(`model ${metadata.version} gives no finite scores (damaged weights?)`);
    }
    return { scorer, loaded, evaluation: await readEvaluation(folder) };
  } catch (error) {
    scorer?.dispose();
    loaded.model.dispose();
    throw error instanceof ModelRefusedError ? error : new ModelRefusedError((error as Error).message);
  }
}

async function readEvaluation(folder: string): Promise<Record<string, number>> {
  try {
    const report = JSON.parse(await readFile(join(folder, EVALUATION_FILE), 'utf8')) as EvaluationReport;
    return evaluationMetrics(report.model);
  } catch {
    // Not every model folder was evaluated (`train` of the demo skips it); then there is nothing to export.
    return {};
  }
}

export type SwitchResult = 'switched' | 'refused' | 'unchanged';

export class ModelSwitch {
  private active: ActiveModel;
  private readonly retired: ActiveModel[] = [];
  private inFlight = 0;
  private lastRefused: string | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    initial: ActiveModel,
    private readonly options: {
      check: ModelCheck;
      /** The folder of a registry version. */
      folderOf: (version: string) => string;
      metrics: Metrics;
      backend: string;
      logger: Logger;
    },
  ) {
    this.active = initial;
    this.publishInfo();
  }

  get version(): string {
    return this.active.scorer.version;
  }

  scorer(): Scorer {
    return this.active.scorer;
  }

  /** Runs one micro-batch; models replaced meanwhile are freed only once no batch is in flight. */
  async during<T>(work: () => Promise<T>): Promise<T> {
    this.inFlight++;
    try {
      return await work();
    } finally {
      this.inFlight--;
      if (this.inFlight === 0) this.disposeRetired();
    }
  }

  /**
   * Switches to `version` if it is not the one in use. Calls are handled one at a time; a version
   * refused once is not tried again until another version has been offered in between.
   */
  offer(version: string): Promise<SwitchResult> {
    const next = this.queue.then(() => this.switchTo(version));
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Frees every model: the worker has stopped. */
  close(): void {
    this.retired.push(this.active);
    this.disposeRetired();
  }

  private async switchTo(version: string): Promise<SwitchResult> {
    if (version === this.version) {
      this.lastRefused = null;
      return 'unchanged';
    }
    if (version === this.lastRefused) return 'unchanged';
    const { metrics, logger } = this.options;
    let next: ActiveModel;
    try {
      next = await loadCheckedModel(this.options.folderOf(version), this.options.check, version);
    } catch (error) {
      this.lastRefused = version;
      metrics.modelSwaps.labels('refused').inc();
      logger.error(
        { modelVersion: this.version, refusedVersion: version, error: errorSummary(error) },
        'promoted model refused; scoring on with the model in use',
      );
      return 'refused';
    }
    const previous = this.active;
    this.active = next;
    this.lastRefused = null;
    this.retired.push(previous);
    if (this.inFlight === 0) this.disposeRetired();
    metrics.modelSwaps.labels('switched').inc();
    this.publishInfo(previous.scorer.version);
    logger.info({ modelVersion: version, previousVersion: previous.scorer.version }, 'switched model');
    return 'switched';
  }

  private publishInfo(previousVersion?: string): void {
    const { metrics, backend } = this.options;
    const { scorer, evaluation } = this.active;
    if (previousVersion !== undefined) metrics.modelInfo.reset();
    metrics.modelInfo.labels(scorer.version, scorer.architecture, backend).set(1);
    metrics.modelEvaluation.reset();
    for (const [metric, value] of Object.entries(evaluation))
      metrics.modelEvaluation.labels(metric).set(value);
  }

  private disposeRetired(): void {
    for (const retired of this.retired.splice(0)) {
      retired.scorer.dispose();
      retired.loaded.model.dispose();
    }
  }
}
