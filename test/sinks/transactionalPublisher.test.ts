import type { Kafka } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { TransactionalPublisher } from '../../src/sinks/transactionalPublisher.js';
import { oneScoreBatch } from '../helpers/publishBatch.js';

/** A kafkajs stand-in that records what each producer does inside its transactions. */
function fakeKafka(failCommits = 0) {
  const calls: string[] = [];
  let producers = 0;
  const kafka = {
    producer: ({ transactionalId }: { transactionalId: string }) => {
      const name = `${transactionalId}#${++producers}`;
      return {
        connect: async () => void calls.push(`${name} connect`),
        disconnect: async () => void calls.push(`${name} disconnect`),
        transaction: async () => ({
          sendBatch: async ({ topicMessages }: { topicMessages: { topic: string; messages: unknown[] }[] }) =>
            void calls.push(
              `${name} send ${topicMessages.map((t) => `${t.topic}:${t.messages.length}`).join(',')}`,
            ),
          sendOffsets: async ({ topics }: { topics: { partitions: { offset: string }[] }[] }) =>
            void calls.push(`${name} offsets ${topics[0]?.partitions[0]?.offset}`),
          commit: async () => {
            if (failCommits-- > 0) throw new Error('coordinator moved');
            calls.push(`${name} commit`);
          },
        }),
      };
    },
  } as unknown as Kafka;
  return { kafka, calls };
}

const batch = oneScoreBatch({ topic: 'in', partition: 3, nextOffset: '42' });

describe('TransactionalPublisher', () => {
  it('sends the scores and commits the input offset in one transaction, one producer per partition', async () => {
    const { kafka, calls } = fakeKafka();
    const publisher = new TransactionalPublisher(kafka, { scores: 'out', deadLetters: 'dlq' }, 'g');
    await publisher.publish(batch);
    await publisher.publish(oneScoreBatch({ topic: 'in', partition: 3, nextOffset: '43' }));
    expect(calls).toEqual([
      'g-in-3#1 connect',
      'g-in-3#1 send out:1',
      'g-in-3#1 offsets 42',
      'g-in-3#1 commit',
      'g-in-3#1 send out:1',
      'g-in-3#1 offsets 43',
      'g-in-3#1 commit',
    ]);
  });

  it('refuses a batch from several input partitions, whose offsets one transaction cannot commit', async () => {
    const { kafka, calls } = fakeKafka();
    const publisher = new TransactionalPublisher(kafka, { scores: 'out', deadLetters: 'dlq' }, 'g');
    const inputs = [
      { topic: 'in', partition: 3, nextOffset: '42' },
      { topic: 'in', partition: 4, nextOffset: '7' },
    ];
    await expect(publisher.publish({ ...batch, inputs })).rejects.toThrow('one input partition, not 2');
    expect(calls).toEqual([]);
  });

  it('drops a producer whose transaction failed; the next one (same id) aborts what was left', async () => {
    const { kafka, calls } = fakeKafka(1);
    const publisher = new TransactionalPublisher(kafka, { scores: 'out', deadLetters: 'dlq' }, 'g');
    await expect(publisher.publish(batch)).rejects.toThrow('coordinator moved');
    await publisher.publish(batch);
    expect(calls.filter((call) => /connect|commit/.test(call))).toEqual([
      'g-in-3#1 connect',
      'g-in-3#1 disconnect',
      'g-in-3#2 connect',
      'g-in-3#2 commit',
    ]);
  });
});
