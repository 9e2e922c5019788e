import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kafkaConnectionOptions } from '../../src/infra/kafka.js';
import { redisConnectionOptions } from '../../src/infra/redis.js';

const dir = mkdtempSync(join(tmpdir(), 'seqscore-tls-'));
const pem = (name: string) => {
  const file = join(dir, name);
  writeFileSync(file, `-----BEGIN ${name}-----\n`);
  return file;
};

describe('client connection options', () => {
  it('passes TLS files and SASL credentials to kafkajs', () => {
    const options = kafkaConnectionOptions({
      brokers: ['b:9093'],
      ssl: { caFile: pem('CA'), certFile: pem('CERT'), keyFile: pem('KEY'), rejectUnauthorized: false },
      sasl: { mechanism: 'scram-sha-256', username: 'svc', password: 'pw' },
    });
    expect(options.ssl).toEqual({
      rejectUnauthorized: false,
      ca: ['-----BEGIN CA-----\n'],
      cert: '-----BEGIN CERT-----\n',
      key: '-----BEGIN KEY-----\n',
    });
    expect(options.sasl).toEqual({ mechanism: 'scram-sha-256', username: 'svc', password: 'pw' });
    expect(kafkaConnectionOptions({ brokers: ['b:9092'] })).toEqual({ brokers: ['b:9092'] });
  });

  it('uses TLS for rediss:// only, and explicit credentials over those in the URL', () => {
    const tls = { caFile: pem('REDIS-CA'), rejectUnauthorized: true };
    expect(redisConnectionOptions({ url: 'rediss://h:6380', username: 'u', password: 'p', tls })).toEqual({
      username: 'u',
      password: 'p',
      tls: { rejectUnauthorized: true, ca: ['-----BEGIN REDIS-CA-----\n'] },
    });
    expect(redisConnectionOptions({ url: 'redis://h:6379', tls })).toEqual({});
  });
});
