import { readFileSync } from 'node:fs';
import { Redis, type RedisOptions } from 'ioredis';
import type { RedisConfig } from '../config.js';
import type { Logger } from '../logger.js';

/** What any Redis client needs to reach the server: URL, credentials and TLS. */
export type RedisConnection = Pick<RedisConfig, 'url' | 'username' | 'password' | 'tls'>;

/** Credentials and TLS settings to pass along with the URL; explicit ones win over the URL's. */
export function redisConnectionOptions(connection: RedisConnection): RedisOptions {
  const options: RedisOptions = {};
  if (connection.username) options.username = connection.username;
  if (connection.password) options.password = connection.password;
  if (connection.url.startsWith('rediss://')) {
    options.tls = { rejectUnauthorized: connection.tls.rejectUnauthorized };
    if (connection.tls.caFile) options.tls.ca = [readFileSync(connection.tls.caFile, 'utf8')];
  }
  return options;
}

/**
 * A Redis client for the feature store. A command that takes longer than the timeout fails, and
 * while disconnected commands fail fast rather than queue, so a slow or absent Redis fails the batch
 * attempt (the consumer then pauses and retries it with backoff) instead of piling up requests.
 */
export function createRedis(
  connection: RedisConnection & { commandTimeoutMs: number },
  connectionName: string,
  logger: Logger,
): Redis {
  const client = new Redis(connection.url, {
    ...redisConnectionOptions(connection),
    connectionName,
    commandTimeout: connection.commandTimeoutMs,
    maxRetriesPerRequest: 1,
    enableAutoPipelining: false,
    retryStrategy: (attempt) => Math.min(100 * 2 ** attempt, 2_000),
  });
  // Without a listener ioredis prints every reconnect failure as an unhandled error. Only the
  // message is logged: ioredis errors can carry the failed command with its arguments (event data).
  client.on('error', (error: Error) =>
    logger.warn({ error: error.message, connectionName }, 'redis connection error'),
  );
  return client;
}
