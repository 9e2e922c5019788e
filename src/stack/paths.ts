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
  redis: ServicePaths;
}

/** Runtime state lives in the project (git-ignored) so that separate checkouts never share a broker's data. */
export function stackPaths(cwd: string): StackPaths {
  const root = resolve(cwd, '.seqscore', 'stack');
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
  return {
    root,
    kafka: {
      ...kafka,
      configFile: join(kafka.dir, 'server.properties'),
      clusterIdFile: join(kafka.dir, 'cluster-id'),
    },
    redis: service('redis'),
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
