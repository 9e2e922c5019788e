import {
  type Kafka,
  KafkaJSConnectionError,
  KafkaJSNonRetriableError,
  KafkaJSProtocolError,
  type ProducerBatch,
} from 'kafkajs';
import { describe, expect, it } from 'vitest';
import type { ProfileMessage } from '../../src/sinks/profileMessage.js';
import { type PublishBatch, Publisher, produceRequests, toTopicMessages } from '../../src/sinks/publisher.js';
import { oneScoreBatch } from '../helpers/publishBatch.js';

const profile: ProfileMessage = {
  userId: 'u1',
  at: '2026-11-29T00:00:00.000Z',
  modelVersion: 'v1',
  events: 1,
  lastEvent: '2017-11-25T00:00:00.000Z',
  halfLifeSeconds: 86_400,
  categories: [{ name: 'c1', weight: 1, share: 1 }],
  actions: [{ name: 'view', weight: 1, share: 1 }],
  embedding: [0.5],
};
const batch: PublishBatch = {
  scores: [],
  deadLetters: [],
  profiles: [profile],
  inputs: [{ topic: 'in', partition: 0, nextOffset: '1' }],
};

describe('topic messages of a batch', () => {
  it('send profiles keyed by user to the profiles topic, only when it is configured', () => {
    expect(toTopicMessages(batch, { scores: 's', deadLetters: 'd' }, 0)).toEqual([]);
    expect(toTopicMessages(batch, { scores: 's', deadLetters: 'd', profiles: 'p' }, 0)).toEqual([
      { topic: 'p', messages: [{ key: 'u1', value: JSON.stringify(profile) }] },
    ]);
  });
});

describe('produce requests', () => {
  const message = (key: string, bytes: number) => ({ key, value: 'x'.repeat(bytes - key.length) });

  it('cut a batch into requests under the byte budget, keeping every message once and in order', () => {
    const scores = Array.from({ length: 25 }, (_, i) => message(`u${i % 10}`, 100));
    const letters = Array.from({ length: 3 }, (_, i) => ({
      ...message(`d${i}`, 50),
      headers: { reason: 'bad' },
    }));
    const requests = produceRequests(
      [
        { topic: 'scores', messages: scores },
        { topic: 'dlq', messages: letters },
      ],
      1_000,
    );
    expect(requests.length).toBe(3);
    for (const request of requests) {
      const bytes = request
        .flatMap((t) => t.messages)
        .reduce((sum, m) => sum + String(m.key).length + String(m.value).length, 0);
      expect(bytes).toBeLessThanOrEqual(1_000);
    }
    const sent = (topic: string) =>
      requests.flatMap((request) => request.filter((t) => t.topic === topic).flatMap((t) => t.messages));
    expect(sent('scores')).toEqual(scores);
    expect(sent('dlq')).toEqual(letters);
  });

  it('send a batch under the budget in one request, and a message over it on its own', () => {
    const small = [message('a', 10), message('b', 10)];
    expect(produceRequests([{ topic: 't', messages: small }], 1_000)).toEqual([
      [{ topic: 't', messages: small }],
    ]);
    const large = message('c', 5_000);
    expect(produceRequests([{ topic: 't', messages: [...small, large] }], 1_000)).toEqual([
      [{ topic: 't', messages: small }],
      [{ topic: 't', messages: [large] }],
    ]);
    expect(produceRequests([], 1_000)).toEqual([]);
  });
});

/** Producers that fail their first sends with the given errors, and record what they were asked. */
function fakeKafka(failures: Error[]) {
  const log: string[] = [];
  let created = 0;
  const kafka = {
    producer: () => {
      const id = ++created;
      return {
        connect: async () => void log.push(`connect ${id}`),
        disconnect: async () => void log.push(`disconnect ${id}`),
        sendBatch: async (request: ProducerBatch) => {
          const failure = failures.shift();
          log.push(
            `send ${id} ${request.topicMessages?.map((t) => t.topic).join(',')}${failure ? ' failed' : ''}`,
          );
          if (failure) throw failure;
          return [];
        },
      };
    },
  } as unknown as Kafka;
  return { kafka, log };
}

const scoreBatch = oneScoreBatch({ topic: 'in', partition: 0, nextOffset: '1' });

describe('Publisher', () => {
  const outOfOrder = () =>
    new KafkaJSProtocolError({
      type: 'OUT_OF_ORDER_SEQUENCE_NUMBER',
      code: 45,
      retriable: false,
      message: 'The broker received an out of order sequence number',
    } as unknown as Error);

  it('replaces its producer when the broker no longer accepts its sequence numbers', async () => {
    // kafkajs hands the broker's error over as is, or wrapped once its retrier gives up.
    const wrapped = Object.assign(new KafkaJSNonRetriableError(outOfOrder()), { cause: outOfOrder() });
    for (const failure of [outOfOrder(), wrapped]) {
      const { kafka, log } = fakeKafka([failure]);
      const publisher = new Publisher(kafka, { scores: 's', deadLetters: 'd' });
      await publisher.connect();
      await expect(publisher.publish(scoreBatch)).rejects.toThrow('out of order sequence number');
      // The retry goes out on a new producer, connected first; the old one is let go.
      await publisher.publish(scoreBatch);
      expect(log).toEqual(['connect 1', 'send 1 s failed', 'disconnect 1', 'connect 2', 'send 2 s']);
    }
  });

  it('keeps its producer through errors that a retry can get past', async () => {
    const { kafka, log } = fakeKafka([new KafkaJSConnectionError('Connection error: connect ECONNREFUSED')]);
    const publisher = new Publisher(kafka, { scores: 's', deadLetters: 'd' });
    await publisher.connect();
    await expect(publisher.publish(scoreBatch)).rejects.toThrow('ECONNREFUSED');
    await publisher.publish(scoreBatch);
    expect(log).toEqual(['connect 1', 'send 1 s failed', 'send 1 s']);
  });
});
