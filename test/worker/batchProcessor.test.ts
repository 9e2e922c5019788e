import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import type { MicroBatch } from '../../src/consumers/passQueue.js';
import { ActionVocabulary } from '../../src/events/actionVocabulary.js';
import { createDecoder } from '../../src/events/decoder.js';
import type { UserEvent } from '../../src/events/event.js';
import { eventSteps } from '../../src/features/historySteps.js';
import { toWindowEntry } from '../../src/features/windowEntry.js';
import type { DecideFn, PendingUser, SourcedEvent, StateOutcome } from '../../src/features/windowStore.js';
import { createMetrics } from '../../src/metrics/metrics.js';
import type { PublishBatch } from '../../src/sinks/publisher.js';
import { type BatchStages, processBatch } from '../../src/worker/batchProcessor.js';

/**
 * An in-memory stand-in for the window store: it remembers each eventId's outcome and keeps the last
 * `size` events in arrival order, which is all the batch logic relies on.
 */
function memoryWindows(size: number) {
  const windows = new Map<string, UserEvent[]>();
  const stored = new Map<string, Buffer>();
  const released: (readonly StateOutcome[])[] = [];
  return {
    windows,
    released,
    async published(outcomes: readonly StateOutcome[]): Promise<void> {
      released.push(outcomes);
    },
    async apply(events: readonly SourcedEvent[], decide: DecideFn): Promise<StateOutcome[]> {
      const users = new Map<string, PendingUser>();
      const outcomes: StateOutcome[] = [];
      for (const { event } of events) {
        const previous = stored.get(event.eventId);
        if (previous !== undefined) {
          outcomes.push({ status: 'remembered', outcome: previous });
          continue;
        }
        const window = [...(windows.get(event.userId) ?? []), event].slice(-size);
        windows.set(event.userId, window);
        const user = users.get(event.userId) ?? {
          userId: event.userId,
          modelState: Buffer.alloc(0),
          events: [],
        };
        users.set(event.userId, user);
        user.events.push({
          event,
          placed: false,
          history: (limit) => window.slice(-limit).map(toWindowEntry),
          steps: (limit, vocabularies) =>
            eventSteps(window.slice(-limit).map(toWindowEntry), vocabularies, limit),
        });
        outcomes.push({ status: 'applied', outcome: Buffer.alloc(0), placed: false });
      }
      const decisions = await decide([...users.values()]);
      const decided = new Map<string, Buffer>();
      [...users.values()].forEach((user, u) => {
        user.events.forEach((entry, e) => {
          decided.set(entry.event.eventId, decisions[u]?.outcomes[e] as Buffer);
        });
      });
      return outcomes.map((outcome, i) => {
        if (outcome.status !== 'applied') return outcome;
        const eventId = (events[i] as SourcedEvent).event.eventId;
        const value = decided.get(eventId) as Buffer;
        stored.set(eventId, value);
        return { ...outcome, outcome: value };
      });
    },
  };
}

function message(value: unknown, offset: number, key: string | null = null): KafkaMessage {
  return {
    key: key === null ? null : Buffer.from(key),
    value: Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)),
    offset: String(offset),
    timestamp: '1000',
    attributes: 0,
    headers: {},
  };
}

function stages(overrides: Partial<BatchStages> = {}) {
  const published: PublishBatch[] = [];
  const windows = memoryWindows(3);
  const seenLengths: number[] = [];
  const all: BatchStages = {
    decode: createDecoder({
      vocabulary: new ActionVocabulary(['view', 'cart']),
      maxBytes: 1024,
      maxFutureSkewMs: 1e12,
    }),
    userId: (userId) => userId,
    windows,
    scorer: () => ({
      version: 'v1',
      churnHorizonMs: 60_000,
      scoreUsers: (users) =>
        users.map((user) => ({
          modelState: null,
          scores: user.events.map((entry) => {
            const length = entry.history(50).length;
            seenLengths.push(length);
            return { nextAction: { view: 0.5, cart: 0.5 }, churn: length / 10, nextItems: [] };
          }),
        })),
    }),
    actions: ['view', 'cart'],
    publisher: { publish: async (batch) => void published.push(batch) },
    metrics: createMetrics(),
    clock: () => 1500,
    ...overrides,
  };
  return { all, published, windows, seenLengths };
}

const event = (eventId: string, userId: string, action = 'view') => ({
  eventId,
  userId,
  itemId: 'i',
  action,
  ts: 1e12,
});
const source = { topic: 'in', partition: 0 };
const onePartition = (messages: KafkaMessage[]): MicroBatch[] => [{ messages, source }];

describe('processBatch', () => {
  it('scores every valid event with its own history and dead-letters the rest in one publish', async () => {
    const { all, published, seenLengths } = stages();
    const result = await processBatch(
      onePartition([
        message(event('e1', 'u1'), 0, 'u1'),
        message('not json', 1),
        message(event('e2', 'u1', 'cart'), 2, 'u1'),
        message(event('e3', 'u2'), 3, 'u2'),
        message(event('e4', 'u1', 'jump'), 4, 'u1'),
      ]),
      all,
    );
    expect(result).toMatchObject({
      scored: 3,
      deadLettered: 2,
      skippedExpiredDuplicates: 0,
      latenciesMs: [500, 500, 500],
    });
    expect(published).toHaveLength(1);
    expect(published[0]?.scores.map((score) => [score.eventId, score.churn.p])).toEqual([
      ['e1', 0.1],
      ['e2', 0.2],
      ['e3', 0.1],
    ]);
    expect(seenLengths).toEqual([1, 2, 1]);
    expect(published[0]?.deadLetters.map((letter) => [letter.reason, letter.source.offset])).toEqual([
      ['invalid_json', '1'],
      ['unknown_action', '4'],
    ]);
    expect(published[0]?.deadLetters[0]?.value?.toString()).toBe('not json');
    const invalid = await all.metrics.eventsInvalid.get();
    expect(invalid.values.find((v) => v.labels.reason === 'invalid_json')?.value).toBe(1);
  });

  it('scores the micro-batches of several partitions in one pass, each dead letter and offset with its own', async () => {
    const { all, published, seenLengths } = stages();
    const applied: string[][] = [];
    const memory = all.windows;
    all.windows = {
      apply: (events, decide) => {
        applied.push(events.map(({ event, source, offset }) => `${event.eventId}@${source}:${offset}`));
        return memory.apply(events, decide);
      },
      published: (outcomes) => memory.published(outcomes),
    };
    const result = await processBatch(
      [
        { messages: [message(event('a1', 'ua'), 10), message('not json', 11)], source },
        {
          messages: [message(event('b1', 'ub'), 5), message(event('b2', 'ub', 'cart'), 6)],
          source: { topic: 'in', partition: 1 },
        },
      ],
      all,
    );
    expect(result).toMatchObject({ scored: 3, deadLettered: 1 });
    expect(applied).toEqual([['a1@in:0:10', 'b1@in:1:5', 'b2@in:1:6']]);
    expect(seenLengths).toEqual([1, 1, 2]);
    expect(published).toHaveLength(1);
    expect(published[0]?.scores.map((score) => score.eventId)).toEqual(['a1', 'b1', 'b2']);
    expect(published[0]?.deadLetters.map((letter) => letter.source)).toEqual([
      { topic: 'in', partition: 0, offset: '11' },
    ]);
    expect(published[0]?.inputs).toEqual([
      { topic: 'in', partition: 0, nextOffset: '12' },
      { topic: 'in', partition: 1, nextOffset: '7' },
    ]);
  });

  it('republishes the stored score of a replayed event, byte for byte, without growing the window', async () => {
    let now = 1500;
    const { all, published, windows } = stages({ clock: () => now });
    await processBatch(onePartition([message(event('e1', 'u1'), 0), message(event('e2', 'u1'), 1)]), all);
    now = 99_000;
    await processBatch(onePartition([message(event('e1', 'u1'), 0)]), all);
    expect(windows.windows.get('u1')).toHaveLength(2);
    expect(JSON.stringify(published[1]?.scores[0])).toBe(JSON.stringify(published[0]?.scores[0]));
    const duplicates = await all.metrics.duplicateEvents.get();
    expect(duplicates.values.find((v) => v.labels.outcome === 'republished')?.value).toBe(1);
  });

  it('maps user ids before they reach the store and the scores', async () => {
    const { all, published, windows } = stages({ userId: (userId) => `p-${userId}` });
    await processBatch(onePartition([message(event('e1', 'u1'), 0, 'u1')]), all);
    expect([...windows.windows.keys()]).toEqual(['p-u1']);
    expect(published[0]?.scores[0]?.userId).toBe('p-u1');
  });

  it('publishes one interest profile per scored user when asked, and none otherwise', async () => {
    const batch = [
      message(event('e1', 'u1'), 0, 'u1'),
      message(event('e2', 'u1', 'cart'), 1, 'u1'),
      message(event('e3', 'u2'), 2, 'u2'),
    ];
    const plain = stages();
    await processBatch(onePartition(batch), plain.all);
    expect(plain.published[0]?.profiles).toBeUndefined();
    const { all, published } = stages({ profiles: { halfLifeMs: 3_600_000 } });
    await processBatch(onePartition(batch), all);
    const profiles = published[0]?.profiles ?? [];
    expect(profiles.map((profile) => [profile.userId, profile.events])).toEqual([
      ['u1', 2],
      ['u2', 1],
    ]);
    expect(profiles[0]?.actions.map((entry) => [entry.name, entry.share])).toEqual([
      ['cart', 0.5],
      ['view', 0.5],
    ]);
    expect(profiles[0]?.modelVersion).toBe('v1');
  });

  it('dead-letters events the store finds too late, with the reason', async () => {
    const { all, published } = stages({
      windows: {
        apply: async (events) =>
          events.map(() => ({
            status: 'late',
            replayed: false,
            lateness: { kind: 'lateness', referenceMs: Date.UTC(2020, 0, 1) },
          })),
        published: async () => undefined,
      },
    });
    await processBatch(onePartition([message(event('e1', 'u1'), 7)]), all);
    expect(published[0]?.scores).toEqual([]);
    expect(published[0]?.deadLetters.map((letter) => [letter.reason, letter.source.offset])).toEqual([
      ['too_late', '7'],
    ]);
    expect(published[0]?.deadLetters[0]?.detail).toMatch(/2020-01-01T00:00:00.000Z.*SEQSCORE_MAX_LATENESS/);
    const late = await all.metrics.lateEvents.get();
    expect(late.values.find((v) => v.labels.outcome === 'rejected')?.value).toBe(1);
  });

  it('publishes nothing and propagates the error when the store fails', async () => {
    const { all, published } = stages({
      windows: {
        apply: async () => {
          throw new Error('redis down');
        },
        published: async () => undefined,
      },
    });
    await expect(processBatch(onePartition([message(event('e1', 'u1'), 0)]), all)).rejects.toThrow(
      'redis down',
    );
    expect(published).toHaveLength(0);
    const consumed = await all.metrics.eventsConsumed.get();
    expect(consumed.values[0]?.value ?? 0).toBe(0);
  });

  it('tells the store that a batch is published only once the publisher has taken it', async () => {
    const failing = stages({
      publisher: {
        publish: async () => {
          throw new Error('kafka down');
        },
      },
    });
    await expect(processBatch(onePartition([message(event('e1', 'u1'), 0)]), failing.all)).rejects.toThrow();
    expect(failing.windows.released).toHaveLength(0);

    const { all, windows, published } = stages();
    await processBatch(onePartition([message(event('e1', 'u1'), 0), message(event('e2', 'u2'), 1)]), all);
    expect(published).toHaveLength(1);
    expect(windows.released.map((outcomes) => outcomes.map((o) => o.status))).toEqual([
      ['applied', 'applied'],
    ]);
  });

  it('counts a failure to drop the stored scores and still reports the batch as published', async () => {
    const memory = memoryWindows(3);
    const { all, published } = stages({
      windows: {
        apply: memory.apply,
        published: async () => {
          throw new Error('redis down');
        },
      },
    });
    const result = await processBatch(onePartition([message(event('e1', 'u1'), 0)]), all);
    expect(result.scored).toBe(1);
    expect(published).toHaveLength(1);
    const errors = await all.metrics.redisErrors.get();
    expect(errors.values.find((v) => v.labels.operation === 'release_scores')?.value).toBe(1);
  });
});
