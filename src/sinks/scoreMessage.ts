import type { UserEvent } from '../events/event.js';

/** The message the downstream recommender reads from the output topic, keyed by userId. */
export interface ScoreMessage {
  eventId: string;
  userId: string;
  /** Event time, ISO-8601 UTC. */
  ts: string;
  /** When the score was computed, ISO-8601 UTC. */
  scoredAt: string;
  modelVersion: string;
  nextAction: Record<string, number>;
  churn: { horizonSeconds: number; p: number };
  /** The most likely next items, best first; scores are probabilities. */
  nextItems: { itemId: string; score: number }[];
}

export interface ScoreInput {
  event: UserEvent;
  modelVersion: string;
  nextAction: Record<string, number>;
  churn: number;
  churnHorizonMs: number;
  nextItems: readonly { itemId: string; score: number }[];
  scoredAtMs: number;
}

/** Six decimals are far below the model's error and keep messages short. */
function round(p: number): number {
  return Math.round(p * 1e6) / 1e6;
}

export function buildScoreMessage(input: ScoreInput): ScoreMessage {
  const nextAction: Record<string, number> = {};
  for (const [action, p] of Object.entries(input.nextAction)) nextAction[action] = round(p);
  return {
    eventId: input.event.eventId,
    userId: input.event.userId,
    ts: new Date(input.event.tsMs).toISOString(),
    scoredAt: new Date(input.scoredAtMs).toISOString(),
    modelVersion: input.modelVersion,
    nextAction,
    churn: { horizonSeconds: Math.round(input.churnHorizonMs / 1000), p: round(input.churn) },
    nextItems: input.nextItems.map((item) => ({ itemId: item.itemId, score: round(item.score) })),
  };
}
