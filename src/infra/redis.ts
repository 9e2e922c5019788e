import { Redis } from 'ioredis';
import type { Logger } from '../logger.js';

/**
 * A Redis client for the feature store. Commands wait in ioredis's offline queue while it
 * reconnects, but give up after a few retries so a long outage fails the batch (which is then
 * retried from uncommitted offsets) instead of growing memory without bound.
 */
export function createRedis(url: string, connectionName: string, logger: Logger): Redis {
  const client = new Redis(url, {
    connectionName,
    maxRetriesPerRequest: 5,
    enableAutoPipelining: false,
    retryStrategy: (attempt) => Math.min(100 * 2 ** attempt, 5_000),
  });
  // Without a listener ioredis prints every reconnect failure as an unhandled error.
  client.on('error', (error: Error) => logger.warn({ err: error, connectionName }, 'redis connection error'));
  return client;
}
