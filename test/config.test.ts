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
    expect(config.window).toEqual({ size: 50, dedupeIds: 100, ttlMs: 7 * 86_400_000, latenessMs: 3_600_000 });
    expect(config.events.actions).toEqual(['view', 'cart', 'fav', 'purchase']);
    expect(config.events.aliases).toEqual({ pv: 'view', buy: 'purchase' });
  });

  it('reads lists, durations and numbers from the environment', () => {
    const config = loadConfig({
      KAFKA_BROKERS: 'a:1, b:2',
      SEQSCORE_WINDOW_SIZE: '20',
      SEQSCORE_STATE_TTL: '6h',
      SEQSCORE_INPUT_TOPIC: 'in',
    });
    expect(config.kafka.brokers).toEqual(['a:1', 'b:2']);
    expect(config.window.size).toBe(20);
    expect(config.window.ttlMs).toBe(6 * 3_600_000);
    expect(config.topics.deadLetter).toBe('in.dlq');
  });

  it('lists every invalid variable at once', () => {
    const attempt = () =>
      loadConfig({ SEQSCORE_WINDOW_SIZE: '0', REDIS_URL: 'nope', SEQSCORE_STATE_TTL: 'soon' });
    expect(attempt).toThrow(ConfigError);
    for (const name of ['SEQSCORE_WINDOW_SIZE', 'REDIS_URL', 'SEQSCORE_STATE_TTL'])
      expect(attempt).toThrow(name);
  });

  it('checks relations between fields', () => {
    expect(() => loadConfig({ SEQSCORE_HEARTBEAT_INTERVAL: '30s', SEQSCORE_SESSION_TIMEOUT: '10s' })).toThrow(
      ConfigError,
    );
    expect(() => loadConfig({ SEQSCORE_WINDOW_SIZE: '200', SEQSCORE_DEDUPE_IDS: '100' })).toThrow(/DEDUPE/);
    expect(() => loadConfig({ SEQSCORE_ACTION_ALIASES: 'pv=page' })).toThrow(/not in SEQSCORE_ACTIONS/);
  });

  it('parses durations', () => {
    expect(parseDurationMs('500ms')).toBe(500);
    expect(parseDurationMs('30')).toBe(30_000);
    expect(parseDurationMs('1.5h')).toBe(5_400_000);
    expect(() => parseDurationMs('-1s')).toThrow();
  });
});
