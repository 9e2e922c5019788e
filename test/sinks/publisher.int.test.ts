import { afterAll, describe, expect, it } from 'vitest';
import { createKafka, ensureTopics } from '../../src/infra/kafka.js';
import { Publisher } from '../../src/sinks/publisher.js';
import type { ScoreMessage } from '../../src/sinks/scoreMessage.js';
import { integrationConfig, readTopic } from '../helpers/integration.js';

const config = integrationConfig('publisher');
const kafka = createKafka(config.kafka, { clientId: 'publisher-test' });
const publisher = new Publisher(kafka, {
  scores: config.topics.output,
  deadLetters: config.topics.deadLetter,
});

afterAll(async () => {
  await publisher.disconnect();
});

describe('Publisher on the real local stack', () => {
  it('publishes a micro-batch larger than the broker accepts in one record batch', async () => {
    await ensureTopics(kafka, [
      { topic: config.topics.output, partitions: 1 },
      { topic: config.topics.deadLetter, partitions: 1 },
    ]);
    await publisher.connect();
    // 2,000 scores of about 1 KB for one partition: about 2 MB, twice the broker's default limit.
    const scores: ScoreMessage[] = Array.from({ length: 2_000 }, (_, i) => ({
      eventId: `e${i}`,
      userId: `u${i % 7}`,
      ts: '2017-11-26T00:00:00.000Z',
      scoredAt: '2026-11-29T00:00:00.000Z',
      modelVersion: 'v',
      nextAction: { view: 0.9, cart: 0.1 },
      churn: { horizonSeconds: 3_600, p: 0.5 },
      nextItems: Array.from({ length: 20 }, (_, k) => ({ itemId: `item-${i}-${k}-padding`, score: 0.01 })),
    }));
    await publisher.publish({
      scores,
      deadLetters: [],
      inputs: [{ topic: 'in', partition: 0, nextOffset: '2000' }],
    });
    const received = await readTopic(kafka, config.topics.output, scores.length, { quietMs: 500 });
    expect(received.map((message) => JSON.parse(String(message.value)).eventId)).toEqual(
      scores.map((score) => score.eventId),
    );
  });
});
