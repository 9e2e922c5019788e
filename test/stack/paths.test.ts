import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KAFKA_VERSION, kafkaInstall } from '../../src/stack/kafkaJars.js';
import { cacheRoot, kafkaDeployDir, stackPaths, stackRoot } from '../../src/stack/paths.js';
import { redisArgs } from '../../src/stack/services.js';

describe('cacheRoot', () => {
  it('prefers SEQSCORE_CACHE_DIR, then XDG_CACHE_HOME, then ~/.cache', () => {
    expect(cacheRoot({ SEQSCORE_CACHE_DIR: '/c/s', XDG_CACHE_HOME: '/x' })).toBe('/c/s');
    expect(cacheRoot({ XDG_CACHE_HOME: '/x' })).toBe('/x/seqscore');
    expect(cacheRoot({})).toBe(join(homedir(), '.cache', 'seqscore'));
  });

  it('keeps Kafka jars per version, outside the project', () => {
    const install = kafkaInstall({ SEQSCORE_CACHE_DIR: '/c/s' });
    expect(install.libsDir).toBe(`/c/s/kafka-${KAFKA_VERSION}/libs`);
    expect(install.classpath).toBe(`/c/s/kafka-${KAFKA_VERSION}/libs/*`);
  });
});

describe('stackRoot', () => {
  it('is .seqscore/stack of the project unless a dedicated folder is named', () => {
    expect(stackRoot('/proj', {})).toEqual({ root: '/proj/.seqscore/stack', dedicated: false });
    expect(stackRoot('/proj', { SEQSCORE_STACK_DIR: 'faults' })).toEqual({
      root: '/proj/faults',
      dedicated: true,
    });
    expect(stackRoot('/proj', { SEQSCORE_STACK_DIR: '/a' }, '/b')).toEqual({ root: '/b', dedicated: true });
  });
});

describe('stackPaths', () => {
  it('keeps all runtime state under the stack root', () => {
    const paths = stackPaths('/proj/.seqscore/stack');
    expect(paths.root).toBe('/proj/.seqscore/stack');
    expect(paths.kafka).toMatchObject({
      dataDir: '/proj/.seqscore/stack/kafka/data',
      pidFile: '/proj/.seqscore/stack/kafka/kafka.pid',
      logFile: '/proj/.seqscore/stack/kafka/kafka.log',
      configFile: '/proj/.seqscore/stack/kafka/server.properties',
      clusterIdFile: '/proj/.seqscore/stack/kafka/cluster-id',
    });
    expect(paths.redis.pidFile).toBe('/proj/.seqscore/stack/redis/redis.pid');
    expect(paths.redis.configFile).toBe('/proj/.seqscore/stack/redis/redis.conf');
  });
});

describe('deploy files', () => {
  it('pins the same Kafka version in the pom as in the code', () => {
    const pom = readFileSync(join(kafkaDeployDir(), 'pom.xml'), 'utf8');
    const kafkaDependency = /<artifactId>kafka_2\.13<\/artifactId>\s*<version>([^<]+)<\/version>/.exec(pom);
    expect(kafkaDependency?.[1]).toBe(KAFKA_VERSION);
    // kafkajs 2.x cannot talk to Kafka 4 (see the pom).
    expect(KAFKA_VERSION.startsWith('3.')).toBe(true);
  });
});

describe('redisArgs', () => {
  it('binds loopback only and persists through the append-only file, not snapshots', () => {
    const args = redisArgs(6390, '/d');
    const option = (name: string) => args[args.indexOf(name) + 1];
    expect(option('--bind')).toBe('127.0.0.1');
    expect(option('--port')).toBe('6390');
    expect(option('--dir')).toBe('/d');
    expect(option('--appendonly')).toBe('yes');
    expect(option('--appendfsync')).toBe('everysec');
    expect(option('--save')).toBe('');
  });
});
