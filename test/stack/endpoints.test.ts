import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { formatEndpoint, parseHostPort, parseRedisUrl, planStack } from '../../src/stack/endpoints.js';

describe('parseHostPort', () => {
  it('reads host:port and bracketed IPv6', () => {
    expect(parseHostPort('127.0.0.1:9092')).toEqual({ host: '127.0.0.1', port: 9092 });
    expect(parseHostPort(' kafka.internal:29092 ')).toEqual({ host: 'kafka.internal', port: 29092 });
    expect(parseHostPort('[::1]:9092')).toEqual({ host: '::1', port: 9092 });
  });

  it.each(['localhost', 'localhost:', ':9092', 'host:0', 'host:70000', 'host:port', '::1:9092'])(
    'rejects %j',
    (text) => {
      expect(() => parseHostPort(text)).toThrow(/not a host:port/);
    },
  );
});

describe('parseRedisUrl', () => {
  it('reads host and port, defaulting the port to 6379', () => {
    expect(parseRedisUrl('redis://127.0.0.1:6380/2')).toEqual({ host: '127.0.0.1', port: 6380 });
    expect(parseRedisUrl('redis://:secret@cache.local')).toEqual({ host: 'cache.local', port: 6379 });
    expect(parseRedisUrl('rediss://[::1]:7000')).toEqual({ host: '::1', port: 7000 });
  });

  it('rejects other schemes and garbage', () => {
    expect(() => parseRedisUrl('http://127.0.0.1:6379')).toThrow(/not a redis:\/\/ URL/);
    expect(() => parseRedisUrl('not a url')).toThrow(/not a Redis URL/);
  });
});

describe('formatEndpoint', () => {
  it('brackets IPv6 hosts so the port stays unambiguous', () => {
    expect(formatEndpoint({ host: '127.0.0.1', port: 6379 })).toBe('127.0.0.1:6379');
    expect(formatEndpoint({ host: '::1', port: 6379 })).toBe('[::1]:6379');
  });
});

describe('planStack', () => {
  it('manages both services on the default loopback ports, controller one above the broker', () => {
    const plan = planStack(loadConfig({}), {});
    expect(plan.kafka).toMatchObject({
      external: false,
      broker: { host: '127.0.0.1', port: 9092 },
      controller: { host: '127.0.0.1', port: 9093 },
    });
    expect(plan.redis).toMatchObject({ external: false, endpoint: { host: '127.0.0.1', port: 6379 } });
  });

  it('treats an explicitly set address as external, even when it equals the default', () => {
    const env = { KAFKA_BROKERS: '127.0.0.1:9092', REDIS_URL: 'redis://127.0.0.1:6379' };
    const plan = planStack(loadConfig(env), env);
    expect(plan.kafka.external).toBe(true);
    expect(plan.redis.external).toBe(true);
  });

  it('keeps the two decisions independent, and an empty variable counts as unset', () => {
    const env = { KAFKA_BROKERS: 'b1:9092,b2:9092', REDIS_URL: '' };
    const plan = planStack(loadConfig(env), env);
    expect(plan.kafka).toMatchObject({ external: true, brokers: ['b1:9092', 'b2:9092'] });
    expect(plan.redis.external).toBe(false);
  });

  it('manages explicitly set addresses in a dedicated instance', () => {
    const env = { KAFKA_BROKERS: '127.0.0.1:19092', REDIS_URL: 'redis://127.0.0.1:16379' };
    const plan = planStack(loadConfig(env), env, true);
    expect(plan.kafka).toMatchObject({ external: false, controller: { port: 19093 } });
    expect(plan.redis).toMatchObject({ external: false, endpoint: { port: 16379 } });
  });

  it('refuses a broker port with no room for the controller port', () => {
    const env = { KAFKA_BROKERS: '127.0.0.1:65535' };
    expect(() => planStack(loadConfig(env), env)).toThrow(/controller port/);
  });
});
