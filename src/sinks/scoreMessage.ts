import { ByteReader, idByteLength, isNumericId, pooledBuffer, writeId } from '../events/binaryIds.js';
import type { UserEvent } from '../events/event.js';
import { isoTime } from './isoTime.js';

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
  /** The user's segment at this event, when the model has segments (see `seqscore insights`). */
  segment?: number;
}

export interface ScoreInput {
  event: UserEvent;
  modelVersion: string;
  nextAction: Record<string, number>;
  churn: number;
  churnHorizonMs: number;
  nextItems: readonly { itemId: string; score: number }[];
  segment?: number;
  scoredAtMs: number;
}

/** Six decimals are far below the model's error and keep messages short. */
function round(p: number): number {
  return Math.round(p * 1e6) / 1e6;
}

export function buildScoreMessage(input: ScoreInput): ScoreMessage {
  const nextAction: Record<string, number> = {};
  for (const action of Object.keys(input.nextAction))
    nextAction[action] = round(input.nextAction[action] as number);
  const message: ScoreMessage = {
    eventId: input.event.eventId,
    userId: input.event.userId,
    ts: isoTime(input.event.tsMs),
    scoredAt: isoTime(input.scoredAtMs),
    modelVersion: input.modelVersion,
    nextAction,
    churn: { horizonSeconds: Math.round(input.churnHorizonMs / 1000), p: round(input.churn) },
    nextItems: input.nextItems.map((item) => ({ itemId: item.itemId, score: round(item.score) })),
  };
  if (input.segment !== undefined) message.segment = input.segment;
  return message;
}

/**
 * The part of a score message that is not the event's identity, as stored with the event in Redis.
 * A replayed event is answered from it, so its score message is the same, byte for byte. Binary,
 * since it is most of a user's memory after the window: probabilities are the message's six
 * decimals as integers (exact), actions are in vocabulary order.
 *
 *   u8 tag (1) | u48 scoredAt ms | u8 length + model version | u32 churn horizon s | u32 churn p
 *   u16 segment + 1 (0: none)
 *   u8 actions, u32 p each | u8 items, then per item: u8 numeric?, id, u32 score
 */
const SCORE_TAG = 1;
const MICROS = 1e6;

/**
 * The messages of one micro-batch share their scoredAt: it is parsed once for all of them, where
 * Date.parse for each cost about 0.3 µs an event.
 */
let lastScoredAt = { text: '', ms: Number.NaN };

function scoredAtMs(text: string): number {
  if (text !== lastScoredAt.text) lastScoredAt = { text, ms: Date.parse(text) };
  return lastScoredAt.ms;
}

export function toStoredScore(message: ScoreMessage, actions: readonly string[]): Buffer {
  const versionLength = Buffer.byteLength(message.modelVersion, 'utf8');
  const numeric = message.nextItems.map((item) => isNumericId(item.itemId));
  let itemsLength = 0;
  message.nextItems.forEach((item, i) => {
    itemsLength += 1 + idByteLength(item.itemId, numeric[i] as boolean) + 4;
  });
  const stored = pooledBuffer(1 + 6 + 1 + versionLength + 8 + 2 + 1 + actions.length * 4 + 1 + itemsLength);
  let at = stored.writeUInt8(SCORE_TAG, 0);
  at = stored.writeUIntBE(scoredAtMs(message.scoredAt), at, 6);
  at = stored.writeUInt8(versionLength, at);
  at += stored.write(message.modelVersion, at, 'utf8');
  at = stored.writeUInt32BE(message.churn.horizonSeconds, at);
  at = stored.writeUInt32BE(Math.round(message.churn.p * MICROS), at);
  at = stored.writeUInt16BE(message.segment === undefined ? 0 : message.segment + 1, at);
  at = stored.writeUInt8(actions.length, at);
  for (const action of actions)
    at = stored.writeUInt32BE(Math.round((message.nextAction[action] ?? 0) * MICROS), at);
  at = stored.writeUInt8(message.nextItems.length, at);
  message.nextItems.forEach((item, i) => {
    at = stored.writeUInt8(numeric[i] ? 1 : 0, at);
    at = writeId(stored, item.itemId, numeric[i] as boolean, at);
    at = stored.writeUInt32BE(Math.round(item.score * MICROS), at);
  });
  return stored;
}

export class StoredScoreError extends Error {
  override readonly name = 'StoredScoreError';
}

export function fromStoredScore(
  stored: Buffer,
  event: { eventId: string; userId: string; tsMs: number },
  actions: readonly string[],
): ScoreMessage {
  if (stored[0] !== SCORE_TAG) throw new StoredScoreError(`not a stored score (tag ${stored[0]})`);
  try {
    let at = 1;
    const scoredAtMs = stored.readUIntBE(at, 6);
    const versionLength = stored.readUInt8(at + 6);
    at += 7;
    const modelVersion = stored.toString('utf8', at, at + versionLength);
    at += versionLength;
    const horizonSeconds = stored.readUInt32BE(at);
    const churn = stored.readUInt32BE(at + 4) / MICROS;
    const segment = stored.readUInt16BE(at + 8);
    const actionCount = stored.readUInt8(at + 10);
    at += 11;
    const nextAction: Record<string, number> = {};
    for (let i = 0; i < actionCount; i++, at += 4) {
      nextAction[actions[i] ?? `action${i}`] = stored.readUInt32BE(at) / MICROS;
    }
    const itemCount = stored.readUInt8(at++);
    const nextItems: ScoreMessage['nextItems'] = [];
    const reader = new ByteReader(stored, at);
    for (let i = 0; i < itemCount; i++) {
      const numeric = stored[reader.position++] === 1;
      const itemId = reader.id(numeric);
      nextItems.push({ itemId, score: stored.readUInt32BE(reader.position) / MICROS });
      reader.position += 4;
    }
    return {
      eventId: event.eventId,
      userId: event.userId,
      ts: isoTime(event.tsMs),
      scoredAt: isoTime(scoredAtMs),
      modelVersion,
      nextAction,
      churn: { horizonSeconds, p: churn },
      nextItems,
      ...(segment === 0 ? {} : { segment: segment - 1 }),
    };
  } catch (error) {
    if (error instanceof RangeError) throw new StoredScoreError(`truncated stored score: ${error.message}`);
    throw error;
  }
}
