import { ActionVocabulary } from '../../src/events/actionVocabulary.js';
import type { UserEvent } from '../../src/events/event.js';
import { syntheticEvents } from '../../src/events/synthetic.js';
import { IdVocabulary } from '../../src/features/idVocabulary.js';
import { buildInsights, type InsightsReport } from '../../src/insights/insightsReport.js';
import { DEFAULT_MODEL_CONFIG, SequenceModel } from '../../src/model/sequenceModel.js';
import { untrainedMetadata } from '../helpers/modelMetadata.js';

export const ACTIONS = ['view', 'cart', 'fav', 'purchase'];
const MINUTE = 60_000;
export const START_MS = Date.UTC(2017, 10, 25);

/** One event; `minute` counts from START_MS. */
export function event(
  userId: string,
  minute: number,
  action: string,
  itemId: string,
  categoryId: string,
): UserEvent {
  return {
    eventId: `${userId}-${minute}-${action}`,
    userId,
    itemId,
    categoryId,
    action,
    tsMs: START_MS + minute * MINUTE,
  };
}

/**
 * A small shop: u1 views, carts and buys in one session; u2 views then buys without a cart, in two
 * sessions; u3 only views; u4 views and carts.
 */
export function smallShop(): UserEvent[] {
  return [
    event('u1', 0, 'view', 'i1', 'A'),
    event('u1', 1, 'view', 'i2', 'B'),
    event('u1', 2, 'cart', 'i1', 'A'),
    event('u1', 3, 'purchase', 'i1', 'A'),
    event('u2', 0, 'view', 'i3', 'A'),
    event('u2', 5, 'view', 'i2', 'B'),
    event('u2', 100, 'purchase', 'i2', 'B'),
    event('u3', 0, 'view', 'i1', 'A'),
    event('u3', 1, 'view', 'i2', 'B'),
    event('u4', 0, 'view', 'i4', 'C'),
    event('u4', 1, 'cart', 'i4', 'C'),
  ];
}

/** A tiny untrained model over the small shop's vocabulary. */
export function tinyModel(
  architecture: 'gru' | 'lstm' | 'rnn' | 'attention' = 'gru',
  seed = 3,
): SequenceModel {
  return SequenceModel.create(
    { ...DEFAULT_MODEL_CONFIG, architecture, hiddenSize: 8, itemEmbeddingSize: 8, maxLength: 10 },
    {
      actions: new ActionVocabulary(ACTIONS),
      items: new IdVocabulary(['i1', 'i2', 'i3', 'i4'], 4),
      categories: new IdVocabulary(['A', 'B', 'C'], 2),
    },
    seed,
  );
}

/** A report on a few thousand synthetic events, with an untrained model: enough for every chart. */
export function syntheticReport(): InsightsReport {
  const model = tinyModel();
  const loaded = { model, metadata: { ...untrainedMetadata(model, 'gru-<untrained>'), weights: [] } };
  const events = [
    ...syntheticEvents({ users: 60, items: 300, categories: 12, events: 3_000, seed: 5, meanGapSeconds: 20 }),
  ];
  const report = buildInsights(loaded, events, {
    funnel: ['view', 'cart', 'purchase'],
    segmentOptions: { seed: 1, kRange: [2, 4] },
    profileHalfLifeMs: 86_400_000,
    exampleUsers: 2,
    topK: 5,
  });
  model.dispose();
  return report;
}
