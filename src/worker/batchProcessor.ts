import type { KafkaMessage } from 'kafkajs';
import type { MessageSource } from '../consumers/eventConsumer.js';
import type { DecodeResult } from '../events/decoder.js';
import type { UserEvent } from '../events/event.js';
import type { SequenceEvent } from '../features/sequenceEncoding.js';
import type { AppendOutcome } from '../features/windowStore.js';
import type { Metrics } from '../metrics/metrics.js';
import type { SequenceScore } from '../model/scorer.js';
import type { DeadLetter } from '../sinks/deadLetter.js';
import type { PublishBatch } from '../sinks/publisher.js';
import { buildScoreMessage, type ScoreMessage } from '../sinks/scoreMessage.js';

/** The stages a micro-batch goes through, as interfaces so tests can run them in memory. */
export interface BatchStages {
  decode: (value: Buffer | null, key: Buffer | null) => DecodeResult;
  windows: { append(events: readonly UserEvent[]): Promise<AppendOutcome[]> };
  scorer: () => {
    version: string;
    churnHorizonMs: number;
    score(sequences: readonly (readonly SequenceEvent[])[]): SequenceScore[];
  };
  publisher: { publish(batch: PublishBatch): Promise<void> };
  metrics: Metrics;
  clock: () => number;
}

export interface BatchResult {
  scored: number;
  deadLettered: number;
  skippedExpiredDuplicates: number;
  /** Input-message-timestamp to score acknowledgement, per scored event. */
  latenciesMs: number[];
}

/**
 * decode -> append to windows (one Redis round trip) -> score (one forward pass) -> publish (one
 * produce request). Throws if any store fails, leaving the batch's offsets unresolved for a retry.
 */
export async function processBatch(
  messages: readonly KafkaMessage[],
  source: MessageSource,
  stages: BatchStages,
): Promise<BatchResult> {
  const { metrics } = stages;
  metrics.eventsConsumed.inc(messages.length);
  metrics.batchEvents.observe(messages.length);

  const endDecode = metrics.batchStageSeconds.startTimer({ stage: 'decode' });
  const valid: { event: UserEvent; message: KafkaMessage }[] = [];
  const deadLetters: DeadLetter[] = [];
  for (const message of messages) {
    const result = stages.decode(message.value, message.key);
    if (result.ok) {
      valid.push({ event: result.event, message });
    } else {
      metrics.eventsInvalid.labels(result.reason).inc();
      deadLetters.push({
        key: message.key,
        value: message.value,
        reason: result.reason,
        detail: result.detail,
        source: { topic: source.topic, partition: source.partition, offset: message.offset },
      });
    }
  }
  endDecode();

  const endState = metrics.batchStageSeconds.startTimer({ stage: 'state' });
  const outcomes = await stages.windows.append(valid.map((entry) => entry.event));
  endState();

  const toScore: { event: UserEvent; message: KafkaMessage; outcome: AppendOutcome }[] = [];
  outcomes.forEach((outcome, i) => {
    const entry = valid[i] as (typeof valid)[number];
    if (outcome.status === 'duplicate_expired') {
      metrics.duplicateEvents.labels('expired').inc();
      return;
    }
    if (outcome.status === 'duplicate') metrics.duplicateEvents.labels('rescored').inc();
    toScore.push({ ...entry, outcome });
  });

  const endModel = metrics.batchStageSeconds.startTimer({ stage: 'model' });
  const scorer = stages.scorer();
  const scores = scorer.score(toScore.map((entry) => entry.outcome.window));
  const scoredAtMs = stages.clock();
  const scoreMessages: ScoreMessage[] = toScore.map((entry, i) => {
    const score = scores[i] as SequenceScore;
    return buildScoreMessage({
      event: entry.event,
      modelVersion: scorer.version,
      nextAction: score.nextAction,
      churn: score.churn,
      churnHorizonMs: scorer.churnHorizonMs,
      nextItems: score.nextItems,
      scoredAtMs,
    });
  });
  endModel();

  const endPublish = metrics.batchStageSeconds.startTimer({ stage: 'publish' });
  await stages.publisher.publish({ scores: scoreMessages, deadLetters });
  endPublish();

  const ackedAtMs = stages.clock();
  const latenciesMs = toScore.map((entry) => Math.max(0, ackedAtMs - Number(entry.message.timestamp)));
  for (const latencyMs of latenciesMs) metrics.eventToScoreSeconds.observe(latencyMs / 1000);
  metrics.scoresPublished.inc(scoreMessages.length);
  metrics.deadLettersPublished.inc(deadLetters.length);
  return {
    scored: scoreMessages.length,
    deadLettered: deadLetters.length,
    skippedExpiredDuplicates: outcomes.length - toScore.length,
    latenciesMs,
  };
}
