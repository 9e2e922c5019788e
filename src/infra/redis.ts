import { Redis } from 'ioredis';

/**
 * A Redis client for the feature store. Commands wait in ioredis's offline queue while it
 * reconnects, but give up after a few retries so a long outage fails the batch (which is then
 * retried from uncommitted offsets) instead of growing memory without bound.
 */
export function createRedis(url: string, connectionName: string): Redis {
  return new Redis(url, {
    connectionName,
    maxRetriesPerRequest: 5,
    enableAutoPipelining: false,
    retryStrategy: (attempt) => Math.min(100 * 2 ** attempt, 5_000),
  });
}
