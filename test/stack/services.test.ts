import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { planStack } from '../../src/stack/endpoints.js';
import { kafkaServerProperties, redisAuthConfig } from '../../src/stack/services.js';

const plan = (env: Record<string, string>) => planStack(loadConfig(env), env, true);

describe('kafkaServerProperties', () => {
  it('serves plaintext unless the app is configured for SASL', () => {
    const properties = kafkaServerProperties(plan({}).kafka, '/d');
    expect(properties).toContain('listener.security.protocol.map=CONTROLLER:PLAINTEXT,CLIENT:PLAINTEXT');
    expect(properties).not.toContain('sasl.enabled.mechanisms');
  });

  it('accepts the configured user with PLAIN and SCRAM on the client listener', () => {
    const properties = kafkaServerProperties(
      plan({
        KAFKA_SASL_MECHANISM: 'scram-sha-256',
        KAFKA_SASL_USERNAME: 'svc',
        KAFKA_SASL_PASSWORD: 's3cret',
      }).kafka,
      '/d',
    );
    expect(properties).toContain('CLIENT:SASL_PLAINTEXT');
    expect(properties).toContain('sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512');
    expect(properties).toContain('username="svc" password="s3cret" user_svc="s3cret";');
  });

  it('refuses credentials that a properties line could not carry', () => {
    const env = { KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'svc', KAFKA_SASL_PASSWORD: 'a"b' };
    expect(() => kafkaServerProperties(plan(env).kafka, '/d')).toThrow(/letters, digits/);
  });
});

describe('redisAuthConfig', () => {
  it('sets nothing without a password', () => {
    expect(redisAuthConfig(plan({}).redis)).toBeUndefined();
  });

  it('gives the default user a password, from the URL or REDIS_PASSWORD', () => {
    expect(redisAuthConfig(plan({ REDIS_URL: 'redis://:pw1@127.0.0.1:7001' }).redis)).toBe(
      'requirepass pw1\n',
    );
    expect(redisAuthConfig(plan({ REDIS_PASSWORD: 'pw2' }).redis)).toBe('requirepass pw2\n');
  });

  it('creates a named ACL user and switches the default user off', () => {
    expect(redisAuthConfig(plan({ REDIS_USERNAME: 'svc', REDIS_PASSWORD: 'pw' }).redis)).toBe(
      'user default off\nuser svc on >pw ~* &* +@all\n',
    );
  });
});
