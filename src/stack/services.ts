import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
      kafkaAnswers(
        plan.external ? plan.connection : { ...plan.connection, brokers: [formatEndpoint(plan.broker)] },
        timeoutMs,
      ),
    async prepare(env, onProgress) {
      if (plan.connection.ssl) {
        throw new Error(
          'kafka: the local stack runs no TLS listener; unset KAFKA_SSL, or point KAFKA_BROKERS at a TLS broker of your own',
        );
      }
      const java = findJava(env);
      const install = await ensureKafkaJars(env, onProgress);
      const log4j = `-Dlog4j.configuration=${pathToFileURL(join(kafkaDeployDir(), 'log4j.properties')).href}`;
      mkdirSync(paths.dataDir, { recursive: true });
      // It may hold the SASL password: readable by its owner only.
      writeFileSync(paths.configFile, kafkaServerProperties(plan, paths.dataDir), { mode: 0o600 });
      await formatStorageOnce(java, install, log4j, paths, plan, onProgress);
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

/** Credentials go into a properties line and a StorageTool argument, neither of which can quote. */
const MANAGED_CREDENTIAL = /^[A-Za-z0-9._~-]{1,128}$/;

/**
 * The broker's server.properties: the template, plus SASL on the client listener when the app is
 * configured for it, so that the local broker accepts exactly the configured user.
 */
export function kafkaServerProperties(plan: KafkaPlan, dataDir: string): string {
  const deploy = kafkaDeployDir();
  const sasl = plan.connection.sasl;
  const base = renderTemplate(readFileSync(join(deploy, 'server.properties.template'), 'utf8'), {
    BROKER_PORT: plan.broker.port,
    CONTROLLER_PORT: plan.controller.port,
    DATA_DIR: dataDir,
    CLIENT_PROTOCOL: sasl ? 'SASL_PLAINTEXT' : 'PLAINTEXT',
  });
  if (!sasl) return base;
  if (!MANAGED_CREDENTIAL.test(sasl.username) || !MANAGED_CREDENTIAL.test(sasl.password)) {
    throw new Error(
      'kafka: for the local stack, KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD may only use letters, digits and . _ ~ -',
    );
  }
  return (
    base +
    renderTemplate(readFileSync(join(deploy, 'server-sasl.properties.template'), 'utf8'), {
      USERNAME: sasl.username,
      PASSWORD: sasl.password,
    })
  );
}

/**
 * KRaft refuses to start on unformatted storage, and reformatting would wipe topics, so format only
 * when the data folder has no meta.properties. The cluster id is kept so a wiped data folder is
 * recreated as the same cluster. SCRAM credentials are created here, because the broker itself
 * authenticates with them before any admin client could add them.
 */
async function formatStorageOnce(
  java: string,
  install: KafkaInstall,
  log4j: string,
  paths: StackPaths['kafka'],
  plan: KafkaPlan,
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
    ...scramArguments(plan),
  ]);
  if (formatted.code !== 0) {
    throw new Error(`kafka: formatting storage failed (exit ${formatted.code}):\n${formatted.output.trim()}`);
  }
}

function scramArguments(plan: KafkaPlan): string[] {
  const sasl = plan.connection.sasl;
  if (!sasl) return [];
  return ['SCRAM-SHA-256', 'SCRAM-SHA-512'].flatMap((mechanism) => [
    '--add-scram',
    `${mechanism}=[name=${sasl.username},password=${sasl.password}]`,
  ]);
}

export function redisDriver(plan: RedisPlan, paths: StackPaths['redis']): ServiceDriver {
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
    answers: (timeoutMs) => redisAnswers(plan.connection, timeoutMs),
    async prepare(env, onProgress) {
      if (plan.url.startsWith('rediss://')) {
        throw new Error(
          'redis: the local stack runs no TLS port; use a redis:// URL, or point REDIS_URL at a TLS server of your own',
        );
      }
      const redisServer = await ensureRedisServer(env, onProgress);
      mkdirSync(paths.dataDir, { recursive: true });
      const auth = redisAuthConfig(plan);
      // Credentials go into a file readable by its owner only, never onto the command line.
      if (auth) writeFileSync(paths.configFile, auth, { mode: 0o600 });
      else rmSync(paths.configFile, { force: true });
      return {
        command: redisServer,
        args: [...(auth ? [paths.configFile] : []), ...redisArgs(plan.endpoint.port, paths.dataDir)],
        cwd: paths.dir,
        logFile: paths.logFile,
        env,
      };
    },
  };
}

/**
 * Makes the local Redis accept the configured credentials: the default user's password, or an ACL
 * user with full access (with the default user switched off). Restricted users for the worker are
 * the operator's to create; see README "Security".
 */
export function redisAuthConfig(plan: RedisPlan): string | undefined {
  const url = new URL(plan.url);
  const username = plan.connection.username ?? (decodeURIComponent(url.username) || undefined);
  const password = plan.connection.password ?? (decodeURIComponent(url.password) || undefined);
  if (!password) return undefined;
  if (/[\s"']/.test(password) || (username && /[\s"']/.test(username))) {
    throw new Error(
      'redis: for the local stack, the Redis user name and password may not contain spaces or quotes',
    );
  }
  if (!username || username === 'default') return `requirepass ${password}\n`;
  return `user default off\nuser ${username} on >${password} ~* &* +@all\n`;
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
