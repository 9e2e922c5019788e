import { mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseDurationMs } from '../src/config.js';

describe('config', () => {
  it('has documented defaults', () => {
    const config = loadConfig({});
    expect(config.kafka.brokers).toEqual(['127.0.0.1:9092']);
    expect(config.topics).toEqual({
      input: 'user-events',
      output: 'user-scores',
      deadLetter: 'user-events.dlq',
      partitions: 6,
    });
    expect(config.window).toEqual({
      size: 50,
      dedupeIds: 8,
      ttlMs: 7 * 86_400_000,
      latenessMs: 3_600_000,
      cacheUsers: 100_000,
    });
    expect(config.model.exploreCandidates).toBe(2048);
    expect(config.kafka.fetchLingerMs).toBe(0);
    expect(config.events.actions).toEqual(['view', 'cart', 'fav', 'purchase']);
    expect(config.events.aliases).toEqual({ pv: 'view', buy: 'purchase' });
  });

  it('reads the insights settings: a profile half-life, and k or auto for the segments', () => {
    expect(loadConfig({}).insights).toEqual({ profileHalfLifeMs: 86_400_000, segments: 'auto' });
    expect(loadConfig({ SEQSCORE_PROFILE_HALF_LIFE: '6h', SEQSCORE_SEGMENTS: '5' }).insights).toEqual({
      profileHalfLifeMs: 21_600_000,
      segments: 5,
    });
    expect(() => loadConfig({ SEQSCORE_SEGMENTS: 'many' })).toThrow(/SEQSCORE_SEGMENTS/);
    expect(() => loadConfig({ SEQSCORE_SEGMENTS: '0' })).toThrow(/SEQSCORE_SEGMENTS/);
    expect(() => loadConfig({ SEQSCORE_PROFILE_HALF_LIFE: '0s' })).toThrow(/SEQSCORE_PROFILE_HALF_LIFE/);
  });

  it('runs one scoring thread per core by default, never more than the partitions', () => {
    const cores = availableParallelism();
    expect(loadConfig({ SEQSCORE_TOPIC_PARTITIONS: '1000' }).worker.threads).toBe(cores);
    expect(loadConfig({ SEQSCORE_TOPIC_PARTITIONS: '1' }).worker.threads).toBe(1);
    expect(loadConfig({ SEQSCORE_WORKER_THREADS: '3', SEQSCORE_TOPIC_PARTITIONS: '1' }).worker.threads).toBe(
      3,
    );
    expect(() => loadConfig({ SEQSCORE_WORKER_THREADS: '0' })).toThrow(/SEQSCORE_WORKER_THREADS/);
    expect(() => loadConfig({ SEQSCORE_WORKER_THREADS: 'many' })).toThrow(/SEQSCORE_WORKER_THREADS/);
  });

  it('reads lists, durations and numbers from the environment', () => {
    const config = loadConfig({
      KAFKA_BROKERS: 'a:1, b:2',
      SEQSCORE_WINDOW_SIZE: '20',
      SEQSCORE_STATE_TTL: '6h',
      SEQSCORE_INPUT_TOPIC: 'in',
      SEQSCORE_FETCH_LINGER: '10ms',
    });
    expect(config.kafka.brokers).toEqual(['a:1', 'b:2']);
    expect(config.kafka.fetchLingerMs).toBe(10);
    expect(config.window.size).toBe(20);
    expect(config.window.ttlMs).toBe(6 * 3_600_000);
    expect(config.topics.deadLetter).toBe('in.dlq');
  });

  it('lists every invalid variable at once', () => {
    const attempt = () =>
      loadConfig({
        SEQSCORE_WINDOW_SIZE: '0',
        REDIS_URL: 'nope',
        SEQSCORE_STATE_TTL: 'soon',
        SEQSCORE_FETCH_LINGER: '2m',
      });
    expect(attempt).toThrow(ConfigError);
    for (const name of ['SEQSCORE_WINDOW_SIZE', 'REDIS_URL', 'SEQSCORE_STATE_TTL', 'SEQSCORE_FETCH_LINGER'])
      expect(attempt).toThrow(name);
  });

  it('checks relations between fields', () => {
    expect(() => loadConfig({ SEQSCORE_HEARTBEAT_INTERVAL: '30s', SEQSCORE_SESSION_TIMEOUT: '10s' })).toThrow(
      ConfigError,
    );
    expect(() =>
      loadConfig({ SEQSCORE_ACTIONS: Array.from({ length: 17 }, (_, i) => `a${i}`).join(',') }),
    ).toThrow(/at most 16 actions/);
    expect(() => loadConfig({ SEQSCORE_ACTION_ALIASES: 'pv=page' })).toThrow(/not in SEQSCORE_ACTIONS/);
  });

  it('accepts each TensorFlow.js backend by name and nothing else', () => {
    expect(loadConfig({}).model.backend).toBe('auto');
    for (const backend of ['node-gpu', 'node', 'wasm', 'cpu']) {
      expect(loadConfig({ SEQSCORE_TF_BACKEND: backend }).model.backend).toBe(backend);
    }
    expect(() => loadConfig({ SEQSCORE_TF_BACKEND: 'tensorflow' })).toThrow(/SEQSCORE_TF_BACKEND/);
  });

  it('reads Kafka TLS and SASL, Redis credentials and the pseudonym key', () => {
    const config = loadConfig({
      KAFKA_SSL: 'true',
      KAFKA_SSL_CA_FILE: '/ca.pem',
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'svc',
      KAFKA_SASL_PASSWORD: 'pw',
      REDIS_URL: 'rediss://cache:6380',
      REDIS_USERNAME: 'worker',
      REDIS_PASSWORD: 'rpw',
      SEQSCORE_USER_ID_KEY: 'k'.repeat(32),
      SEQSCORE_KAFKA_TRANSACTIONS: 'yes',
    });
    expect(config.kafka.ssl).toEqual({ caFile: '/ca.pem', rejectUnauthorized: true });
    expect(config.kafka.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'svc', password: 'pw' });
    expect(config.kafka.transactions).toBe(true);
    expect(config.redis).toMatchObject({ url: 'rediss://cache:6380', username: 'worker', password: 'rpw' });
    expect(config.userIdKey).toBe('k'.repeat(32));
    const plain = loadConfig({});
    expect([plain.kafka.ssl, plain.kafka.sasl, plain.userIdKey, plain.kafka.transactions]).toEqual([
      undefined,
      undefined,
      undefined,
      false,
    ]);
  });

  it('reads secrets from files, and never echoes a value in an error', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'seqscore-secret-')), 'password');
    writeFileSync(file, 'from-file\n');
    const config = loadConfig({
      KAFKA_SASL_MECHANISM: 'plain',
      KAFKA_SASL_USERNAME: 'svc',
      KAFKA_SASL_PASSWORD_FILE: file,
    });
    expect(config.kafka.sasl?.password).toBe('from-file');
    expect(() => loadConfig({ REDIS_PASSWORD_FILE: '/no/such/file' })).toThrow(/REDIS_PASSWORD_FILE/);
    const attempt = () => loadConfig({ SEQSCORE_USER_ID_KEY: 'short-secret-value' });
    expect(attempt).toThrow(/SEQSCORE_USER_ID_KEY/);
    expect(attempt).not.toThrow(/short-secret-value/);
  });

  it('refuses incomplete security settings', () => {
    expect(() => loadConfig({ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'svc' })).toThrow(
      /KAFKA_SASL_PASSWORD/,
    );
    expect(() => loadConfig({ KAFKA_SSL: 'true', KAFKA_SSL_CERT_FILE: '/c.pem' })).toThrow(
      /KAFKA_SSL_KEY_FILE/,
    );
    expect(() => loadConfig({ KAFKA_SASL_MECHANISM: 'gssapi' })).toThrow(/KAFKA_SASL_MECHANISM/);
    expect(() => loadConfig({ REDIS_URL: 'http://cache:6379' })).toThrow(/REDIS_URL/);
  });

  it('parses durations', () => {
    expect(parseDurationMs('500ms')).toBe(500);
    expect(parseDurationMs('30')).toBe(30_000);
    expect(parseDurationMs('1.5h')).toBe(5_400_000);
    expect(() => parseDurationMs('-1s')).toThrow();
  });
});
