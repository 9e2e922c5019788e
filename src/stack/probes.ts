import { connect } from 'node:net';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { type KafkaConnection, kafkaConnectionOptions } from '../infra/kafka.js';
import { type RedisConnection, redisConnectionOptions } from '../infra/redis.js';
import { sleep } from './processes.js';
import type { Endpoint } from './types.js';

/** Cheap check that something listens, used to spot a port taken by another program. */
export function tcpAnswers({ host, port }: Endpoint, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const socket = connect({ host, port });
    const finish = (answered: boolean) => {
      socket.destroy();
      resolvePromise(answered);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

/**
 * A listening port is not a usable broker: KRaft opens its listener before the controller quorum has
 * elected itself. describeCluster only succeeds once the broker serves metadata, which is what
 * clients need. kafkajs logging is switched off, or every failed attempt during start-up would print.
 */
export async function kafkaAnswers(connection: KafkaConnection, timeoutMs = 3_000): Promise<boolean> {
  const kafka = new Kafka({
    ...kafkaConnectionOptions(connection),
    clientId: 'seqscore-stack-probe',
    logLevel: logLevel.NOTHING,
    connectionTimeout: timeoutMs,
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
  });
  const admin = kafka.admin({ retry: { retries: 0 } });
  try {
    return await withTimeout(
      (async () => {
        await admin.connect();
        const cluster = await admin.describeCluster();
        return cluster.brokers.length > 0;
      })(),
      timeoutMs * 2,
    );
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** PING rather than a TCP check, because Redis refuses commands while it replays its append-only file. */
export async function redisAnswers(connection: RedisConnection, timeoutMs = 2_000): Promise<boolean> {
  const client = new Redis(connection.url, {
    ...redisConnectionOptions(connection),
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  // Without a listener ioredis reports every refused connection on the console.
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

export interface WaitOptions {
  timeoutMs: number;
  intervalMs?: number;
  /** Checked between attempts; a reason string stops the wait early (e.g. the process died). */
  giveUpIf?: () => string | undefined;
}

export type WaitResult = { ok: true; elapsedMs: number } | { ok: false; elapsedMs: number; reason: string };

export async function waitUntil(probe: () => Promise<boolean>, options: WaitOptions): Promise<WaitResult> {
  const started = Date.now();
  const deadline = started + options.timeoutMs;
  for (;;) {
    if (await probe()) return { ok: true, elapsedMs: Date.now() - started };
    const reason = options.giveUpIf?.();
    if (reason) return { ok: false, elapsedMs: Date.now() - started, reason };
    if (Date.now() >= deadline) {
      return {
        ok: false,
        elapsedMs: Date.now() - started,
        reason: `no answer within ${options.timeoutMs / 1000} s`,
      };
    }
    await sleep(options.intervalMs ?? 500);
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
