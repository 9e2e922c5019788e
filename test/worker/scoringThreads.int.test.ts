import { Partitioners } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import { createKafka, ensureTopics } from '../../src/infra/kafka.js';
import { createLogger } from '../../src/logger.js';
import type { ScoreMessage } from '../../src/sinks/scoreMessage.js';
import { startThreadedWorker, type ThreadedWorker } from '../../src/worker/scoringThreads.js';
import { integrationConfig, readTopic, untrainedModelFolder, waitFor } from '../helpers/integration.js';

const USERS = 24;
const EVENTS = 480;
const ACTIONS = ['view', 'cart', 'fav', 'purchase'];

/** The sum of a metric's samples in a Prometheus text exposition, by name (any labels). */
function metricSum(text: string, name: string): number {
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name} `) || line.startsWith(`${name}{`))
    .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
}

describe('a worker process with two scoring threads', () => {
  let config: Config;
  let worker: ThreadedWorker;
  const fatal: Error[] = [];

  beforeAll(async () => {
    config = integrationConfig('threads', {
      SEQSCORE_TOPIC_PARTITIONS: '4',
      SEQSCORE_WORKER_THREADS: '2',
      SEQSCORE_TF_BACKEND: 'cpu',
      SEQSCORE_MODEL_DIR: await untrainedModelFolder(ACTIONS),
    });
    worker = await startThreadedWorker(config, createLogger('warn'), (error) => fatal.push(error));
  });

  afterAll(async () => {
    await worker?.stop();
  });

  const get = (path: string) => fetch(`http://127.0.0.1:${worker.httpPort}${path}`);

  it('shares the partitions between its threads and serves their metrics as one', async () => {
    expect(worker.threads).toBe(2);
    await waitFor(async () => (await get('/readyz')).ok, 60_000, 'both threads to join the group');
    const health = (await (await get('/readyz')).json()) as { threads: { inGroup: boolean }[] };
    expect(health.threads).toHaveLength(2);
    expect(health.threads.every((thread) => thread.inGroup)).toBe(true);

    const kafka = createKafka(config.kafka, { clientId: 'threads-test' });
    await ensureTopics(kafka, [{ topic: config.topics.input, partitions: 4 }]);
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const start = Date.UTC(2017, 10, 26);
    await producer.send({
      topic: config.topics.input,
      messages: Array.from({ length: EVENTS }, (_, n) => {
        const userId = `u${n % USERS}`;
        return {
          key: userId,
          value: JSON.stringify({
            eventId: `ev-${n}`,
            userId,
            itemId: `i${n % 37}`,
            categoryId: `c${n % 5}`,
            action: ACTIONS[n % 4],
            ts: start + n * 1000,
          }),
        };
      }),
    });
    await producer.disconnect();

    const scores = (await readTopic(kafka, config.topics.output, EVENTS)).map(
      (message) => JSON.parse(String(message.value)) as ScoreMessage,
    );
    expect(new Set(scores.map((score) => score.eventId)).size).toBe(EVENTS);
    // Each user's events are scored in order by whichever thread owns the user's partition.
    for (let u = 0; u < USERS; u++) {
      const times = scores.filter((score) => score.userId === `u${u}`).map((score) => score.ts);
      expect(times).toEqual([...times].sort());
    }

    const text = await (await get('/metrics')).text();
    expect(metricSum(text, 'seqscore_events_consumed_total')).toBe(EVENTS);
    expect(metricSum(text, 'seqscore_scores_published_total')).toBe(EVENTS);
    expect(metricSum(text, 'seqscore_batch_events_count')).toBeGreaterThanOrEqual(2);
    // One model in use, though both threads report it.
    expect(metricSum(text, 'seqscore_model_info')).toBe(1);
    // Process metrics come once, from the main thread.
    expect(text.match(/^process_cpu_seconds_total /gm)).toHaveLength(1);
    expect(fatal).toEqual([]);
  });
});

describe('a worker process whose threads cannot start', () => {
  it('rejects with the failing thread and its reason', async () => {
    const config = integrationConfig('threads-failing', {
      SEQSCORE_WORKER_THREADS: '2',
      SEQSCORE_TF_BACKEND: 'cpu',
      SEQSCORE_MODEL_DIR: '/nonexistent/model',
    });
    const fatal: Error[] = [];
    await expect(
      startThreadedWorker(config, createLogger('silent'), (error) => fatal.push(error)),
    ).rejects.toThrow(/scoring thread \d: Error: no usable model in \/nonexistent\/model/);
    expect(fatal).toEqual([]);
  });
});
