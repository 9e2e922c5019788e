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

type StoredScore = [
  ts: string,
  scoredAt: string,
  modelVersion: string,
  nextAction: Record<string, number>,
  churn: ScoreMessage['churn'],
  nextItems: ScoreMessage['nextItems'],
];

/**
 * The part of a score message that is not the event's identity, as stored with the event in Redis.
 * A replayed event is answered from it, so its score message is the same, byte for byte.
 */
export function toStoredScore(message: ScoreMessage): string {
  const stored: StoredScore = [
    message.ts,
    message.scoredAt,
    message.modelVersion,
    message.nextAction,
    message.churn,
    message.nextItems,
  ];
  return JSON.stringify(stored);
}

export function fromStoredScore(stored: string, event: { eventId: string; userId: string }): ScoreMessage {
  const value: unknown = JSON.parse(stored);
  if (!Array.isArray(value) || value.length !== 6)
    throw new Error(`malformed stored score: ${stored.slice(0, 80)}`);
  const [ts, scoredAt, modelVersion, nextAction, churn, nextItems] = value as StoredScore;
  return {
    eventId: event.eventId,
    userId: event.userId,
    ts,
    scoredAt,
    modelVersion,
    nextAction,
    churn,
    nextItems,
  };
}
