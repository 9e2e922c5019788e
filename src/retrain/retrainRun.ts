import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Kafka } from 'kafkajs';
import { ActionVocabulary } from '../events/actionVocabulary.js';
import type { UserEvent } from '../events/event.js';
import { describeSource, type EventSource, loadEvents } from '../events/eventSources.js';
import { cleanEvents } from '../features/cleaning.js';
import { fitSegments } from '../insights/segments.js';
import { errorSummary, type Logger } from '../logger.js';
import { userEmbeddings } from '../model/embeddings.js';
import { evaluateOnEvents } from '../model/evaluation/evaluateOnEvents.js';
import { defaultTestFrom } from '../model/evaluation/protocol.js';
import { type LoadedModel, loadModelFolder } from '../model/modelFolder.js';
import { saveSegments } from '../model/segmentsFile.js';
import { groupByUser } from '../model/trainingData.js';
import { type TrainJobOptions, trainOnEvents } from '../model/trainJob.js';
import type { ModelRegistry, RegistryEntry } from '../registry/modelRegistry.js';
import { readKafkaWindow } from './kafkaWindow.js';
import { decidePromotion, evaluationMetrics, type PromotionRule } from './promotionRule.js';

/**
 * One retraining run: read the last window of events, train a challenger on all but the most recent
 * slice, evaluate it and the champion (the registry's current version) by the same protocol on that
 * slice, record both in the registry, and promote the challenger if the rule allows. Work in progress
 * lives in the registry's staging folder until it is complete, so a run that dies leaves no version
 * behind, and the pointer moves only after the version is in place.
 */

export type TrainingSource =
  | { kind: 'kafka'; topic: string; groupPrefix: string }
  | { kind: 'events'; source: EventSource };

export interface RetrainSettings {
  source: TrainingSource;
  /** How far back training reads: Kafka record time, or for a file the time of its newest event. */
  windowMs: number;
  promotion: PromotionRule;
  training: Omit<TrainJobOptions, 'out' | 'version' | 'testFromMs'>;
  /** User segments fitted on the new model's embeddings: k, or 'auto' for the best silhouette. */
  segments: number | 'auto';
}

export interface RetrainOutcome {
  result: 'promoted' | 'rejected';
  version: string;
  champion: string | null;
  reason: string;
  trainingEvents: number;
  metrics: Record<string, number>;
  championMetrics: Record<string, number>;
}

/** The data cannot give a model (too little of it): retrying the same window would not help. */
export class RetrainDataError extends Error {
  override readonly name = 'RetrainDataError';
}

/** Fewer events than this cannot give a validation split, a training period and an evaluation slice. */
const MIN_EVENTS = 100;

async function readSource(
  runId: string,
  settings: RetrainSettings,
  kafka: Kafka | undefined,
  now: number,
): Promise<{ source: EventSource; windowFrom: number | null; windowTo: number | null }> {
  if (settings.source.kind === 'events')
    return { source: settings.source.source, windowFrom: null, windowTo: null };
  if (!kafka) throw new Error('reading training data from Kafka needs a Kafka client');
  const window = await readKafkaWindow(kafka, {
    topic: settings.source.topic,
    fromMs: now - settings.windowMs,
    groupId: `${settings.source.groupPrefix}-${runId}`,
    now,
  });
  const offsets = window.partitions.map((p) => `${p.partition}:${p.from}-${p.to}`).join(',');
  return {
    source: {
      kind: 'records',
      description: `kafka:${settings.source.topic}[${offsets}]`,
      records: window.records,
    },
    windowFrom: window.fromMs,
    windowTo: window.toMs,
  };
}

/**
 * Segments belong to a model version: the embeddings they cluster are its states. Fitted on the
 * users' last events of the training window and saved in the version's folder, so workers that
 * switch to the version tag scores with segments of the same model.
 */
async function fitModelSegments(
  folder: string,
  events: readonly UserEvent[],
  k: number | 'auto',
  seed: number,
): Promise<void> {
  const { model, metadata } = await loadModelFolder(folder);
  try {
    const windows = [...groupByUser(events).values()].map((list) => list.slice(-model.config.maxLength));
    const actions = metadata.vocabularies.actions;
    const segments = fitSegments(userEmbeddings(model, windows), windows, {
      ...(k === 'auto' ? {} : { k: Math.min(k, windows.length) }),
      seed,
      modelVersion: metadata.version,
      actions,
      conversionAction: actions.includes('purchase') ? 'purchase' : (actions.at(-1) as string),
    });
    await saveSegments(folder, segments);
  } finally {
    model.dispose();
  }
}

export async function runRetrain(
  runId: string,
  settings: RetrainSettings,
  deps: { registry: ModelRegistry; kafka?: Kafka; logger: Logger },
  now = Date.now(),
): Promise<RetrainOutcome> {
  const { registry, logger } = deps;
  const training = settings.training;
  const read = await readSource(runId, settings, deps.kafka, now);
  const loaded = await loadEvents(read.source, new ActionVocabulary(training.actions, training.aliases));
  let { events, report: cleaning } = cleanEvents(loaded.events);
  let { windowFrom, windowTo } = read;
  if (settings.source.kind === 'events' && events.length > 0) {
    windowTo = events.reduce((max, event) => Math.max(max, event.tsMs), Number.NEGATIVE_INFINITY);
    windowFrom = windowTo - settings.windowMs;
    const from = windowFrom;
    events = events.filter((event) => event.tsMs >= from);
  }
  logger.info({ runId, events: events.length, invalid: loaded.invalid, cleaning }, 'training data read');
  if (events.length < MIN_EVENTS) {
    throw new RetrainDataError(
      `${events.length} usable events in the window; at least ${MIN_EVENTS} are needed`,
    );
  }
  const testFromMs = defaultTestFrom(events);
  const trainingEvents = events.filter((event) => event.tsMs < testFromMs).length;

  const champion = await registry.current();
  let championModel: LoadedModel | null = null;
  if (champion) {
    championModel = await loadModelFolder(registry.folder(champion)).catch((error: unknown) => {
      logger.warn(
        { champion, error: errorSummary(error) },
        'champion unusable; judging the challenger alone',
      );
      return null;
    });
  }
  const createdAt = new Date(now);
  const version = await registry.newVersion(training.model.architecture, createdAt);
  const staging = await registry.stagingFolder(runId);
  const folder = join(staging, 'model');
  try {
    const { evaluation } = await trainOnEvents(events, cleaning, describeSource(read.source), {
      ...training,
      out: folder,
      version,
      testFromMs,
    });
    await fitModelSegments(folder, events, settings.segments, training.seed);
    const championEvaluation =
      championModel &&
      evaluateOnEvents(championModel, events, training.actions, {
        testFromMs,
        churnHorizonMs: training.churnHorizonMs,
        k: training.k,
        cleaning,
      });
    const decision = decidePromotion(
      evaluation?.model ?? null,
      championEvaluation?.model ?? null,
      settings.promotion,
    );
    if (champion && !championModel)
      decision.reason = `the champion ${champion} cannot be loaded; ${decision.reason}`;
    if (championEvaluation) {
      await writeFile(
        join(folder, 'champion-evaluation.json'),
        `${JSON.stringify(championEvaluation, null, 2)}\n`,
      );
    }
    const metrics = evaluationMetrics(evaluation?.model);
    const championMetrics = evaluationMetrics(championEvaluation?.model);
    const entry: RegistryEntry & { decision: NonNullable<RegistryEntry['decision']> } = {
      version,
      createdAt: createdAt.toISOString(),
      architecture: training.model.architecture,
      parent: champion,
      origin: 'retrain',
      training: {
        source: describeSource(read.source).slice(0, 2_000),
        windowFrom: windowFrom === null ? null : new Date(windowFrom).toISOString(),
        windowTo: windowTo === null ? null : new Date(windowTo).toISOString(),
        events: events.length,
        trainingEvents,
        evaluationFrom: new Date(testFromMs).toISOString(),
        evaluationCases: evaluation?.protocol.nextEventCases ?? 0,
      },
      metrics,
      decision: {
        promoted: decision.promote,
        reason: decision.reason,
        champion,
        championMetrics,
        tolerance: settings.promotion.tolerance,
        comparisons: decision.comparisons,
      },
    };
    await registry.commit(folder, entry);
    let result: RetrainOutcome['result'] = 'rejected';
    let reason = decision.reason;
    if (decision.promote) {
      // The decision holds against this champion only: if the pointer moved meanwhile, do not promote.
      const moved = await registry.promote(version, champion);
      if (moved.moved) {
        result = 'promoted';
      } else {
        reason = `the current model changed during the run (now ${moved.current}); not promoted`;
        await registry.record({ ...entry, decision: { ...entry.decision, promoted: false, reason } });
      }
    }
    logger.info(
      { runId, version, champion, result, reason, metrics, championMetrics },
      'retraining run done',
    );
    return { result, version, champion, reason, trainingEvents, metrics, championMetrics };
  } finally {
    championModel?.model.dispose();
    await rm(staging, { recursive: true, force: true });
  }
}
