import type { Config } from '../config.js';
import type { KafkaConnection } from '../infra/kafka.js';
import type { RedisConnection } from '../infra/redis.js';
import type { Endpoint } from './types.js';

/** Parses a Kafka bootstrap address ("host:port" or "[v6]:port"). */
export function parseHostPort(text: string): Endpoint {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text.trim());
  const port = Number(match?.[3]);
  const host = match?.[1] ?? match?.[2];
  if (!host || !Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new Error(`"${text}" is not a host:port address`);
  }
  return { host, port };
}

/** Extracts host and port from a redis:// or rediss:// URL, defaulting the port like Redis clients do. */
export function parseRedisUrl(url: string): Endpoint {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`"${url}" is not a Redis URL`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new Error(`"${url}" is not a redis:// URL`);
  }
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1';
  const port = parsed.port ? Number(parsed.port) : 6379;
  return { host, port };
}

export function formatEndpoint({ host, port }: Endpoint): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

export interface KafkaPlan {
  /** What clients connect to (all configured brokers, for probing an external cluster). */
  brokers: string[];
  /** The one broker we would run ourselves. */
  broker: Endpoint;
  /** KRaft needs a second listener for the controller; by convention it sits right above the broker port. */
  controller: Endpoint;
  external: boolean;
  /** How clients (and the readiness probe) connect, with the configured TLS and SASL. */
  connection: KafkaConnection;
}

export interface RedisPlan {
  url: string;
  endpoint: Endpoint;
  external: boolean;
  connection: RedisConnection;
}

export interface StackPlan {
  kafka: KafkaPlan;
  redis: RedisPlan;
}

/**
 * Decides what `stack up` would run. A variable set explicitly means the user points the app at a
 * server of their own, so the stack must leave it alone; the defaults are ours to start. A dedicated
 * instance (its own state folder) starts whatever addresses it is given.
 */
export function planStack(config: Config, env: NodeJS.ProcessEnv, dedicated = false): StackPlan {
  const firstBroker = config.kafka.brokers[0];
  if (!firstBroker) throw new Error('KAFKA_BROKERS lists no broker');
  const broker = parseHostPort(firstBroker);
  if (broker.port >= 65_535)
    throw new Error(`Kafka port ${broker.port} leaves no room for the controller port`);
  return {
    kafka: {
      brokers: config.kafka.brokers,
      broker,
      controller: { host: broker.host, port: broker.port + 1 },
      external: !dedicated && isSet(env.KAFKA_BROKERS),
      connection: config.kafka,
    },
    redis: {
      url: config.redis.url,
      endpoint: parseRedisUrl(config.redis.url),
      external: !dedicated && isSet(env.REDIS_URL),
      connection: config.redis,
    },
  };
}

// Mirrors loadConfig, which treats an empty variable as unset.
function isSet(value: string | undefined): boolean {
  return value !== undefined && value !== '';
}
