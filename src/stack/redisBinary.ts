import { findOnPath, runCommand } from './processes.js';
import type { ProgressReporter } from './types.js';

const INSTALL_ADVICE =
  'Install Redis 6 or newer so that `redis-server` is on PATH ' +
  '(Debian/Ubuntu: `sudo apt-get install -y redis-server`; macOS: `brew install redis`), then run again.';

/**
 * Finds redis-server, installing the distribution package when that is safe to do unattended (root on
 * a Debian-like machine, as in CI). Anywhere else we only explain, rather than escalate privileges.
 */
export async function ensureRedisServer(
  env: NodeJS.ProcessEnv = process.env,
  onProgress: ProgressReporter = () => undefined,
): Promise<string> {
  const found = findOnPath('redis-server', env);
  if (found) return found;

  const aptGet = findOnPath('apt-get', env);
  const isRoot = process.getuid?.() === 0;
  if (!aptGet || !isRoot) throw new Error(`redis-server not found. ${INSTALL_ADVICE}`);

  onProgress('redis: redis-server not found; installing it with apt-get (one-off)');
  const aptEnv = { ...env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update'], ['install', '-y', 'redis-server']]) {
    const result = await runCommand(aptGet, args, { env: aptEnv });
    if (result.code !== 0) {
      throw new Error(
        `apt-get ${args.join(' ')} failed (exit ${result.code}):\n${result.output.trim().split('\n').slice(-30).join('\n')}\n${INSTALL_ADVICE}`,
      );
    }
  }
  // Debian installs it under /usr/bin, which a minimal PATH may still lack.
  const installed = findOnPath('redis-server', env) ?? findOnPath('/usr/bin/redis-server', env);
  if (!installed) throw new Error(`apt-get installed redis-server but it is not on PATH. ${INSTALL_ADVICE}`);
  onProgress(`redis: installed ${installed}`);
  return installed;
}
