import fc from 'fast-check';
import { Redis } from 'ioredis';
import type { KafkaMessage } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { ActionVocabulary } from '../../src/events/actionVocabulary.js';
import { createDecoder, REJECT_REASONS } from '../../src/events/decoder.js';
import { WindowStore } from '../../src/features/windowStore.js';
import { createMetrics } from '../../src/metrics/metrics.js';
import type { PublishBatch } from '../../src/sinks/publisher.js';
import { processBatch } from '../../src/worker/batchProcessor.js';
import { ACTIONS, ALIASES, anyMessage, MAX_BYTES, NOW } from '../events/fuzzMessages.js';
import { removeKeysAndDisconnect, uniqueName } from '../helpers/integration.js';

const RUNS = 80;
const WINDOW = 5;
const source = { topic: 'fuzz', partition: 0 };

let redis: Redis;
let prefix: string;

beforeAll(() => {
  redis = new Redis(loadConfig().redis.url);
  prefix = uniqueName('fuzz');
});

afterAll(() => removeKeysAndDisconnect(redis, prefix));

describe('a micro-batch of fuzzed messages on real Redis', () => {
  it('never fails: each message is scored or dead-lettered with a reason, and windows stay ordered', async () => {
    const decode = createDecoder({
      vocabulary: new ActionVocabulary(ACTIONS, ALIASES),
      maxBytes: MAX_BYTES,
      maxFutureSkewMs: 86_400_000,
      now: () => NOW,
    });
    let offset = 0;
    let runs = 0;
    let messagesTotal = 0;
    const outcomes = { scored: 0, deadLettered: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.array(anyMessage(8), { minLength: 100, maxLength: 200 }),
        fc.constantFrom(3_600_000, 30 * 86_400_000),
        async (generated, latenessMs) => {
          const published: PublishBatch[] = [];
          // A fresh state per run: a long-lived one fills with the newest times, and then nearly
          // every generated event would be too late, leaving the scoring path unexercised.
          const windows = new WindowStore(redis, {
            keyPrefix: `${prefix}-${runs++}`,
            size: WINDOW,
            dedupeIds: 10,
            ttlMs: 600_000,
            latenessMs,
            actions: new ActionVocabulary(ACTIONS),
            cacheUsers: 100,
          });
          const messages: KafkaMessage[] = generated.map(({ key, value }) => ({
            key,
            value,
            offset: String(offset++),
            timestamp: String(NOW),
            attributes: 0,
            headers: {},
          }));
          const result = await processBatch([{ messages, source }], {
            decode,
            userId: (userId) => userId,
            windows,
            scorer: () => ({
              version: 'fuzz',
              churnHorizonMs: 60_000,
              scoreUsers: (users) =>
                users.map((user) => ({
                  modelState: null,
                  scores: user.events.map((entry) => ({
                    nextAction: { view: 1, cart: 0, fav: 0, purchase: 0 },
                    churn: entry.history(WINDOW).length / 10,
                    nextItems: [],
                  })),
                })),
            }),
            actions: ACTIONS,
            publisher: { publish: async (batch) => void published.push(batch) },
            metrics: createMetrics(),
            clock: () => NOW,
          });
          messagesTotal += messages.length;
          expect(published).toHaveLength(1);
          const [{ scores, deadLetters }] = published as [PublishBatch];
          outcomes.scored += scores.length;
          outcomes.deadLettered += deadLetters.length;
          expect(scores.length + deadLetters.length + result.skippedExpiredDuplicates).toBe(messages.length);
          const lettered = new Map(deadLetters.map((letter) => [letter.source.offset, letter.reason]));
          expect(lettered.size).toBe(deadLetters.length);
          const scoredIds = scores.map((score) => score.eventId);
          for (const message of messages) {
            const decoded = decode(message.value, message.key);
            const reason = lettered.get(message.offset);
            if (!decoded.ok) {
              expect(reason).toBe(decoded.reason);
              continue;
            }
            if (reason !== undefined) {
              expect(reason).toBe('too_late');
              continue;
            }
            // Valid and in time: its score is in the same batch, however much garbage surrounds it.
            const at = scoredIds.indexOf(decoded.event.eventId);
            expect(at).toBeGreaterThanOrEqual(0);
            scoredIds.splice(at, 1);
          }
          for (const letter of deadLetters) expect(REJECT_REASONS).toContain(letter.reason);
          const users = new Set(scores.map((score) => score.userId));
          for (const user of users) {
            const times = (await windows.read(user)).map((entry) => entry.tsMs);
            expect(times.length).toBeLessThanOrEqual(WINDOW);
            expect(times).toEqual([...times].sort((a, b) => a - b));
          }
        },
      ),
      { numRuns: RUNS, seed: 7_2026 },
    );
    expect(messagesTotal).toBeGreaterThanOrEqual(10_000);
    expect(outcomes.scored).toBeGreaterThan(messagesTotal / 10);
    console.log(
      `batch fuzz: ${messagesTotal} messages in ${RUNS} micro-batches, 0 crashes; ` +
        `${outcomes.scored} scored, ${outcomes.deadLettered} dead-lettered`,
    );
  }, 300_000);
});
