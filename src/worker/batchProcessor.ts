import { performance } from 'node:perf_hooks';
import type { KafkaMessage } from 'kafkajs';
import { type MicroBatch, nextOffset } from '../consumers/passQueue.js';
import type { DecodeResult } from '../events/decoder.js';
import type { UserEvent } from '../events/event.js';
import type {
  DecideFn,
  Lateness,
  PendingUser,
  SourcedEvent,
  StateOutcome,
  UserDecision,
} from '../features/windowStore.js';
import { buildProfile } from '../insights/profiles.js';
import type { BatchStage, Metrics } from '../metrics/metrics.js';
import type { StepCounts, UserSteps } from '../model/incrementalScorer.js';
import type { UserScores } from '../model/scorer.js';
import type { DeadLetter } from '../sinks/deadLetter.js';
import { type ProfileMessage, toProfileMessage } from '../sinks/profileMessage.js';
import type { PublishBatch } from '../sinks/publisher.js';
import {
  buildScoreMessage,
  fromStoredScore,
  type ScoreMessage,
  toStoredScore,
} from '../sinks/scoreMessage.js';

/** The stages a micro-batch goes through, as interfaces so tests can run them in memory. */
export interface BatchStages {
  decode: (value: Buffer | null, key: Buffer | null) => DecodeResult;
  /** Maps a user id to the id kept in Redis and sent out (a keyed pseudonym, or the id itself). */
  userId: (userId: string) => string;
  windows: {
    apply(events: readonly SourcedEvent[], decide: DecideFn): Promise<StateOutcome[]>;
    published(outcomes: readonly StateOutcome[]): Promise<void>;
  };
  /** The model in use: asked once per batch, so a new model takes over between two batches. */
  scorer: () => {
    version: string;
    churnHorizonMs: number;
    scoreUsers(users: readonly UserSteps[], counts?: StepCounts): UserScores[];
  };
  /** The action vocabulary, in the order scores are stored. */
  actions: readonly string[];
  /** Publish each scored user's interest profile, decayed with this half-life. */
  profiles?: { halfLifeMs: number };
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

/** A failure of one stage of a micro-batch; the batch can be retried as a whole. */
export class BatchStageError extends Error {
  override readonly name = 'BatchStageError';

  constructor(
    readonly stage: BatchStage,
    cause: unknown,
  ) {
    super(`${stage}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** Redis failures by operation, for operators: the batch itself is retried by the consumer. */
async function countRedisErrors<T>(
  metrics: Metrics,
  operation: string,
  work: () => Promise<T>,
  notRedis: () => boolean,
): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!notRedis()) metrics.redisErrors.labels(operation).inc();
    throw error;
  }
}

async function stage<T>(name: BatchStage, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw new BatchStageError(name, error);
  }
}

function lateDetail(event: UserEvent, lateness: Lateness): string {
  const at = new Date(event.tsMs).toISOString();
  const reference = new Date(lateness.referenceMs).toISOString();
  return lateness.kind === 'lateness'
    ? `event time ${at} is older than the user's newest event (${reference}) by more than SEQSCORE_MAX_LATENESS`
    : `event time ${at} is older than every event in the user's full window (oldest ${reference})`;
}

/**
 * decode -> plan the user windows (one Redis round trip) -> score the new events (one forward pass)
 * -> commit windows and scores together (one round trip) -> publish (one produce request), for the
 * micro-batches of one or more partitions together. Replayed events get their stored score back.
 * Throws if any store fails, leaving the offsets unresolved.
 */
export async function processBatch(
  batches: readonly MicroBatch[],
  stages: BatchStages,
): Promise<BatchResult> {
  const { metrics } = stages;
  // Counters move only once the batch is published, so a retried batch is not counted twice.
  const counts: (() => void)[] = [];

  const endDecode = metrics.batchStageSeconds.startTimer({ stage: 'decode' });
  /** `sourceName`: the partition as the window store keys its offsets, made once per micro-batch. */
  const valid: {
    event: UserEvent;
    message: KafkaMessage;
    source: MicroBatch['source'];
    sourceName: string;
  }[] = [];
  const deadLetters: DeadLetter[] = [];
  const deadLetter = (
    message: KafkaMessage,
    source: MicroBatch['source'],
    reason: string,
    detail: string,
  ) => {
    counts.push(() => metrics.eventsInvalid.labels(reason).inc());
    deadLetters.push({
      key: message.key,
      value: message.value,
      reason,
      detail,
      source: { topic: source.topic, partition: source.partition, offset: message.offset },
    });
  };
  for (const { messages, source } of batches) {
    const sourceName = `${source.topic}:${source.partition}`;
    for (const message of messages) {
      const result = stages.decode(message.value, message.key);
      if (result.ok) {
        valid.push({
          event: { ...result.event, userId: stages.userId(result.event.userId) },
          message,
          source,
          sourceName,
        });
      } else {
        deadLetter(message, source, result.reason, result.detail);
      }
    }
  }
  endDecode();

  let modelSeconds = 0;
  const steps: StepCounts = { stepped: 0, rebuiltMissing: 0, rebuiltVersion: 0, rebuiltReordered: 0 };
  let scoringFailed = false;
  // Profiles of the last decision per user: a user decided again after a conflict replaces its own.
  const profiles = new Map<string, ProfileMessage>();
  // Each score message built, by the stored form it is committed as: an applied event publishes
  // the message itself rather than decoding what was stored. A replay decodes it and gets the same
  // message, since the stored form keeps every value exactly.
  const built = new Map<Buffer, ScoreMessage>();
  const decide = (users: readonly PendingUser[]): UserDecision[] => {
    const started = performance.now();
    const scorer = stages.scorer();
    let scored: UserScores[];
    try {
      scored = scorer.scoreUsers(users, steps);
    } catch (error) {
      scoringFailed = true;
      throw error;
    }
    const scoredAtMs = stages.clock();
    const decisions = users.map((user, u) => {
      const { scores, modelState, embedding } = scored[u] as UserScores;
      if (stages.profiles) {
        const last = user.events[user.events.length - 1] as PendingUser['events'][number];
        const profile = buildProfile(
          last.history(Number.POSITIVE_INFINITY),
          embedding ?? [],
          scoredAtMs,
          stages.profiles.halfLifeMs,
        );
        profiles.set(user.userId, toProfileMessage(user.userId, scorer.version, profile));
      }
      return {
        modelState,
        outcomes: user.events.map((entry, e) => {
          const score = scores[e] as UserScores['scores'][number];
          const message = buildScoreMessage({
            event: entry.event,
            modelVersion: scorer.version,
            nextAction: score.nextAction,
            churn: score.churn,
            churnHorizonMs: scorer.churnHorizonMs,
            nextItems: score.nextItems,
            ...(score.segment === undefined ? {} : { segment: score.segment }),
            scoredAtMs,
          });
          const stored = toStoredScore(message, stages.actions);
          built.set(stored, message);
          return stored;
        }),
      };
    });
    modelSeconds += (performance.now() - started) / 1000;
    return decisions;
  };
  const stateStarted = performance.now();
  const outcomes = await stage('state', () =>
    countRedisErrors(
      metrics,
      'user_state',
      () =>
        stages.windows.apply(
          valid.map(({ event, message, sourceName }) => ({
            event,
            offset: message.offset,
            source: sourceName,
          })),
          decide,
        ),
      () => scoringFailed,
    ),
  );
  metrics.batchStageSeconds.observe({ stage: 'model' }, modelSeconds);
  metrics.batchStageSeconds.observe(
    { stage: 'state' },
    (performance.now() - stateStarted) / 1000 - modelSeconds,
  );

  const scored: { message: KafkaMessage; score: ScoreMessage }[] = [];
  let forgotten = 0;
  outcomes.forEach((outcome, i) => {
    const { event, message, source } = valid[i] as (typeof valid)[number];
    switch (outcome.status) {
      case 'applied':
        if (outcome.placed) counts.push(() => metrics.lateEvents.labels('placed').inc());
        scored.push({
          message,
          score: built.get(outcome.outcome) ?? fromStoredScore(outcome.outcome, event, stages.actions),
        });
        break;
      case 'remembered':
        counts.push(() => metrics.duplicateEvents.labels('republished').inc());
        scored.push({ message, score: fromStoredScore(outcome.outcome, event, stages.actions) });
        break;
      case 'late':
        if (!outcome.replayed) counts.push(() => metrics.lateEvents.labels('rejected').inc());
        deadLetter(message, source, 'too_late', lateDetail(event, outcome.lateness));
        break;
      case 'forgotten':
        counts.push(() => metrics.duplicateEvents.labels('expired').inc());
        forgotten++;
        break;
    }
  });

  const endPublish = metrics.batchStageSeconds.startTimer({ stage: 'publish' });
  await stage('publish', () =>
    stages.publisher.publish({
      scores: scored.map((entry) => entry.score),
      deadLetters,
      ...(stages.profiles ? { profiles: [...profiles.values()] } : {}),
      inputs: batches.map((batch) => ({ ...batch.source, nextOffset: nextOffset(batch) })),
    }),
  );
  endPublish();

  const consumed = batches.reduce((sum, { messages }) => sum + messages.length, 0);
  metrics.eventsConsumed.inc(consumed);
  metrics.batchEvents.observe(consumed);
  for (const count of counts) count();
  metrics.userStateRebuilds.labels('missing').inc(steps.rebuiltMissing);
  metrics.userStateRebuilds.labels('version').inc(steps.rebuiltVersion);
  metrics.userStateRebuilds.labels('reordered').inc(steps.rebuiltReordered);
  const ackedAtMs = stages.clock();
  const latenciesMs = scored.map((entry) => Math.max(0, ackedAtMs - Number(entry.message.timestamp)));
  for (const latencyMs of latenciesMs) metrics.eventToScoreSeconds.observe(latencyMs / 1000);
  metrics.scoresPublished.inc(scored.length);
  metrics.deadLettersPublished.inc(deadLetters.length);
  // The scores are out: a failure here only leaves their stored copies until the users' next commit.
  await stages.windows.published(outcomes).catch(() => metrics.redisErrors.labels('release_scores').inc());
  return {
    scored: scored.length,
    deadLettered: deadLetters.length,
    skippedExpiredDuplicates: forgotten,
    latenciesMs,
  };
}
