import { loadConfig } from '../../src/config.js';
import { ActionVocabulary } from '../../src/events/actionVocabulary.js';
import { createDecoder } from '../../src/events/decoder.js';
import { toWindowEntry, type WindowEntry } from '../../src/features/windowEntry.js';
import { createKafka } from '../../src/infra/kafka.js';
import { createRedis } from '../../src/infra/redis.js';
import { createLogger } from '../../src/logger.js';
import { initBackend } from '../../src/model/backend.js';
import { loadModelFolder } from '../../src/model/modelFolder.js';
import { Scorer } from '../../src/model/scorer.js';
import { buildScoreMessage } from '../../src/sinks/scoreMessage.js';
import { connectedClients, runUntilSignal } from './childProcess.js';

/**
 * The baseline the worker's design is measured against, written the plain way: for each event,
 * read the user's whole window (JSON entries in a Redis list) from Redis, append the event, run the
 * whole sequence through the model, and produce one score message.
 */
const config = loadConfig();
const logger = createLogger(config.logLevel);
const backend = await initBackend(config.model.backend, 'streaming');
const scorer = new Scorer(await loadModelFolder(config.model.dir), {
  topK: config.model.topK,
  exploreCandidates: config.model.exploreCandidates,
});
logger.info({ backend, modelVersion: scorer.version }, 'model loaded');

const redis = createRedis(config.redis, 'bench-naive', logger);
const kafka = createKafka(config.kafka, { clientId: 'bench-naive' });
const decode = createDecoder({
  vocabulary: new ActionVocabulary(config.events.actions, config.events.aliases),
  maxBytes: config.events.maxBytes,
  maxFutureSkewMs: config.events.maxFutureSkewMs,
});
const { consumer, producer } = await connectedClients(kafka, config);
await consumer.run({
  eachMessage: async ({ message }) => {
    const decoded = decode(message.value, message.key);
    if (!decoded.ok) {
      // The benchmark's streams are valid; a rejection means the bench itself is broken.
      logger.error({ reason: decoded.reason, offset: message.offset }, 'invalid event skipped');
      return;
    }
    const event = decoded.event;
    const key = `${config.redis.keyPrefix}:naive:{${event.userId}}`;
    const entry = toWindowEntry(event);
    const stored = await redis.lrange(key, 0, -1);
    await redis
      .multi()
      .rpush(key, JSON.stringify(entry))
      .ltrim(key, -config.window.size, -1)
      .pexpire(key, config.window.ttlMs)
      .exec();
    const history = [...stored.map((text) => JSON.parse(text) as WindowEntry), entry].slice(
      -config.window.size,
    );
    const [score] = scorer.score([history]);
    if (!score) throw new Error('the model returned no score');
    const value = buildScoreMessage({
      event,
      modelVersion: scorer.version,
      ...score,
      churnHorizonMs: scorer.churnHorizonMs,
      scoredAtMs: Date.now(),
    });
    await producer.send({
      topic: config.topics.output,
      acks: -1,
      messages: [{ key: event.userId, value: JSON.stringify(value) }],
    });
  },
});
runUntilSignal(async () => {
  await consumer.disconnect();
  await producer.disconnect();
  redis.disconnect();
});
