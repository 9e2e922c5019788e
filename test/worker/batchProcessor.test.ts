import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { ActionVocabulary } from '../../src/events/actionVocabulary.js';
import { createDecoder } from '../../src/events/decoder.js';
import type { UserEvent } from '../../src/events/event.js';
import { toWindowEntry } from '../../src/features/windowEntry.js';
import type { AppendOutcome } from '../../src/features/windowStore.js';
import { createMetrics } from '../../src/metrics/metrics.js';
import type { PublishBatch } from '../../src/sinks/publisher.js';
import { type BatchStages, processBatch } from '../../src/worker/batchProcessor.js';

/** An in-memory window store with the Lua script's semantics, to test the batch logic alone. */
function memoryWindows(size: number) {
  const windows = new Map<string, UserEvent[]>();
  return {
    windows,
    async append(events: readonly UserEvent[]): Promise<AppendOutcome[]> {
      return events.map((event) => {
        const window = windows.get(event.userId) ?? [];
        const seenAt = window.findIndex((e) => e.eventId === event.eventId);
        if (seenAt >= 0)
          return { status: 'duplicate', window: window.slice(0, seenAt + 1).map(toWindowEntry) };
        window.push(event);
        windows.set(event.userId, window.slice(-size));
        return { status: 'appended', window: (windows.get(event.userId) ?? []).map(toWindowEntry) };
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
    windows,
    scorer: () => ({
      version: 'v1',
      churnHorizonMs: 60_000,
      score: (sequences) =>
        sequences.map((sequence) => {
          seenLengths.push(sequence.length);
          return { nextAction: { view: 0.5, cart: 0.5 }, churn: sequence.length / 10, nextItems: [] };
        }),
    }),
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

describe('processBatch', () => {
  it('scores every valid event with its own history and dead-letters the rest in one publish', async () => {
    const { all, published, seenLengths } = stages();
    const result = await processBatch(
      [
        message(event('e1', 'u1'), 0, 'u1'),
        message('not json', 1),
        message(event('e2', 'u1', 'cart'), 2, 'u1'),
        message(event('e3', 'u2'), 3, 'u2'),
        message(event('e4', 'u1', 'jump'), 4, 'u1'),
      ],
      source,
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

  it('rescores a duplicate from its original history without growing the window', async () => {
    const { all, published, windows } = stages();
    await processBatch([message(event('e1', 'u1'), 0), message(event('e2', 'u1'), 1)], source, all);
    await processBatch([message(event('e1', 'u1'), 2)], source, all);
    expect(windows.windows.get('u1')).toHaveLength(2);
    expect(published[1]?.scores[0]).toMatchObject({ eventId: 'e1', churn: { p: 0.1 } });
  });

  it('publishes nothing and propagates the error when the store fails', async () => {
    const { all, published } = stages({
      windows: {
        append: async () => {
          throw new Error('redis down');
        },
      },
    });
    await expect(processBatch([message(event('e1', 'u1'), 0)], source, all)).rejects.toThrow('redis down');
    expect(published).toHaveLength(0);
  });
});
