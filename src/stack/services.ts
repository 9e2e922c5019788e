import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { formatEndpoint, type KafkaPlan, type RedisPlan } from './endpoints.js';
import { ensureKafkaJars, findJava, type KafkaInstall } from './kafkaJars.js';
import type { ServicePaths, StackPaths } from './paths.js';
import { kafkaDeployDir } from './paths.js';
import { kafkaAnswers, redisAnswers } from './probes.js';
import { type DetachedSpec, runCommand } from './processes.js';
import { ensureRedisServer } from './redisBinary.js';
import { renderTemplate } from './template.js';
import type { Endpoint, ProgressReporter, ServiceName } from './types.js';

/** What the generic start/stop/status logic needs to know about one service. */
export interface ServiceDriver {
  name: ServiceName;
  /** The variable that, when set, makes this service external. */
  envVar: string;
  address: string;
  endpoint: Endpoint;
  /** Other ports the process will bind, which must be free before we start it. */
  extraPorts: Endpoint[];
  external: boolean;
  paths: ServicePaths;
  /** Text in the process command line that identifies our process, so a reused pid is never signalled. */
  processMarker: string;
  answers(timeoutMs?: number): Promise<boolean>;
  /** Everything before the spawn (binaries, storage, config); returns the command to run. */
  prepare(env: NodeJS.ProcessEnv, onProgress: ProgressReporter): Promise<DetachedSpec>;
}

const KAFKA_HEAP = '-Xmx512m';

export function kafkaDriver(plan: KafkaPlan, paths: StackPaths['kafka']): ServiceDriver {
  return {
    name: 'kafka',
    envVar: 'KAFKA_BROKERS',
    address: plan.external ? plan.brokers.join(',') : formatEndpoint(plan.broker),
    endpoint: plan.broker,
    extraPorts: [plan.controller],
    external: plan.external,
    paths,
    // Our broker is the only java process started with this checkout's rendered config file.
    processMarker: paths.configFile,
    answers: (timeoutMs) =>
      kafkaAnswers(plan.external ? plan.brokers : [formatEndpoint(plan.broker)], timeoutMs),
    async prepare(env, onProgress) {
      const java = findJava(env);
      const install = await ensureKafkaJars(env, onProgress);
      const log4j = `-Dlog4j.configuration=${pathToFileURL(join(kafkaDeployDir(), 'log4j.properties')).href}`;
      mkdirSync(paths.dataDir, { recursive: true });
      const template = readFileSync(join(kafkaDeployDir(), 'server.properties.template'), 'utf8');
      writeFileSync(
        paths.configFile,
        renderTemplate(template, {
          BROKER_PORT: plan.broker.port,
          CONTROLLER_PORT: plan.controller.port,
          DATA_DIR: paths.dataDir,
        }),
      );
      await formatStorageOnce(java, install, log4j, paths, onProgress);
      return {
        command: java,
        args: [
          KAFKA_HEAP,
          '-Djava.awt.headless=true',
          log4j,
          // Some Kafka classes log to ${kafka.logs.dir}; keep any such file next to ours, not in the cwd.
          `-Dkafka.logs.dir=${paths.dir}`,
          '-cp',
          install.classpath,
          'kafka.Kafka',
          paths.configFile,
        ],
        cwd: paths.dir,
        logFile: paths.logFile,
        env,
      };
    },
  };
}

/**
 * KRaft refuses to start on unformatted storage, and reformatting would wipe topics, so format only
 * when the data folder has no meta.properties. The cluster id is kept so a wiped data folder is
 * recreated as the same cluster.
 */
async function formatStorageOnce(
  java: string,
  install: KafkaInstall,
  log4j: string,
  paths: StackPaths['kafka'],
  onProgress: ProgressReporter,
): Promise<void> {
  if (existsSync(join(paths.dataDir, 'meta.properties'))) return;
  let clusterId = existsSync(paths.clusterIdFile) ? readFileSync(paths.clusterIdFile, 'utf8').trim() : '';
  if (!clusterId) {
    const generated = await runCommand(java, [
      log4j,
      '-cp',
      install.classpath,
      'kafka.tools.StorageTool',
      'random-uuid',
    ]);
    clusterId = generated.output.trim().split(/\s+/).at(-1) ?? '';
    if (generated.code !== 0 || !/^[A-Za-z0-9_-]{22}$/.test(clusterId)) {
      throw new Error(
        `kafka: could not generate a cluster id (exit ${generated.code}):\n${generated.output.trim()}`,
      );
    }
    writeFileSync(paths.clusterIdFile, `${clusterId}\n`);
  }
  onProgress(`kafka: formatting storage in ${paths.dataDir} (cluster id ${clusterId})`);
  const formatted = await runCommand(java, [
    log4j,
    '-cp',
    install.classpath,
    'kafka.tools.StorageTool',
    'format',
    '--ignore-formatted',
    '-t',
    clusterId,
    '-c',
    paths.configFile,
  ]);
  if (formatted.code !== 0) {
    throw new Error(`kafka: formatting storage failed (exit ${formatted.code}):\n${formatted.output.trim()}`);
  }
}

export function redisDriver(plan: RedisPlan, paths: ServicePaths): ServiceDriver {
  return {
    name: 'redis',
    envVar: 'REDIS_URL',
    address: formatEndpoint(plan.endpoint),
    endpoint: plan.endpoint,
    extraPorts: [],
    external: plan.external,
    paths,
    // redis-server rewrites its process title, but it always keeps its own name.
    processMarker: 'redis-server',
    answers: (timeoutMs) => redisAnswers(plan.url, timeoutMs),
    async prepare(env, onProgress) {
      const redisServer = await ensureRedisServer(env, onProgress);
      mkdirSync(paths.dataDir, { recursive: true });
      return {
        command: redisServer,
        args: redisArgs(plan.endpoint.port, paths.dataDir),
        cwd: paths.dir,
        logFile: paths.logFile,
        env,
      };
    },
  };
}

/**
 * Append-only persistence (fsync every second) rather than snapshots, so that tests which restart
 * Redis to simulate a fault find their state again; snapshots are off so they never add latency.
 */
export function redisArgs(port: number, dataDir: string): string[] {
  return [
    '--bind',
    '127.0.0.1',
    '--port',
    String(port),
    '--dir',
    dataDir,
    '--appendonly',
    'yes',
    '--appendfsync',
    'everysec',
    '--save',
    '',
    '--daemonize',
    'no',
  ];
}
