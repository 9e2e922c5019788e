import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServiceName } from './types.js';

export interface ServicePaths {
  dir: string;
  dataDir: string;
  logFile: string;
  pidFile: string;
}

export interface StackPaths {
  root: string;
  kafka: ServicePaths & { configFile: string; clusterIdFile: string };
  redis: ServicePaths & { configFile: string };
}

/**
 * Where a stack keeps its state: the folder named by the caller or SEQSCORE_STACK_DIR (a dedicated
 * instance), else `.seqscore/stack` in the project (git-ignored), so that separate checkouts never
 * share a broker's data.
 */
export function stackRoot(
  cwd: string,
  env: NodeJS.ProcessEnv,
  stateDir?: string,
): { root: string; dedicated: boolean } {
  const named = stateDir ?? (env.SEQSCORE_STACK_DIR || undefined);
  return named
    ? { root: resolve(cwd, named), dedicated: true }
    : { root: resolve(cwd, '.seqscore', 'stack'), dedicated: false };
}

export function stackPaths(root: string): StackPaths {
  const service = (name: ServiceName): ServicePaths => {
    const dir = join(root, name);
    return {
      dir,
      dataDir: join(dir, 'data'),
      logFile: join(dir, `${name}.log`),
      pidFile: join(dir, `${name}.pid`),
    };
  };
  const kafka = service('kafka');
  const redis = service('redis');
  return {
    root,
    kafka: {
      ...kafka,
      configFile: join(kafka.dir, 'server.properties'),
      clusterIdFile: join(kafka.dir, 'cluster-id'),
    },
    redis: { ...redis, configFile: join(redis.dir, 'redis.conf') },
  };
}

/**
 * Downloaded jars are shared across checkouts and survive `git clean`, hence a per-user cache
 * rather than the project directory.
 */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SEQSCORE_CACHE_DIR) return resolve(env.SEQSCORE_CACHE_DIR);
  const xdg = env.XDG_CACHE_HOME ? resolve(env.XDG_CACHE_HOME) : join(homedir(), '.cache');
  return join(xdg, 'seqscore');
}

/**
 * The deploy files ship with the sources, not in the working directory, so find them relative to
 * this module; walking up keeps it working from src/ (tsx) and from the compiled dist/ tree alike.
 */
export function kafkaDeployDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'deploy', 'local', 'kafka');
    if (existsSync(join(candidate, 'pom.xml'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find deploy/local/kafka next to the seqscore sources');
    dir = parent;
  }
}
