import { join, relative } from 'node:path';
import { loadConfig } from '../config.js';
import { planStack } from './endpoints.js';
import { withLock } from './lock.js';
import { stackPaths, stackRoot } from './paths.js';
import { isProcessAlive, liveOwnedPid, removePidFile, writePidFile } from './pidFile.js';
import { tcpAnswers, type WaitResult, waitUntil } from './probes.js';
import { spawnDetached, stopProcessGroup, tailFile } from './processes.js';
import { kafkaDriver, redisDriver, type ServiceDriver } from './services.js';
import {
  type ProgressReporter,
  SERVICE_NAMES,
  type ServiceDownResult,
  type ServiceStatus,
  type ServiceUpResult,
  type StackDownOptions,
  type StackDownResult,
  type StackOptions,
  type StackStatus,
  type StackUpOptions,
  type StackUpResult,
} from './types.js';

const DEFAULT_READY_TIMEOUT_MS = 90_000;
/** An external server should already be up; waiting long for it would only delay the error. */
const EXTERNAL_READY_TIMEOUT_MS = 15_000;
const STOP_GRACE_MS = 15_000;
const LOG_TAIL_LINES = 30;

interface Context {
  cwd: string;
  env: NodeJS.ProcessEnv;
  onProgress: ProgressReporter;
  root: string;
  dedicated: boolean;
}

function context(options: StackOptions): Context {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  return {
    cwd,
    env,
    onProgress: options.onProgress ?? (() => undefined),
    ...stackRoot(cwd, env, options.stateDir),
  };
}

function drivers(ctx: Context): ServiceDriver[] {
  const plan = planStack(loadConfig(ctx.env), ctx.env, ctx.dedicated);
  const paths = stackPaths(ctx.root);
  return [kafkaDriver(plan.kafka, paths.kafka), redisDriver(plan.redis, paths.redis)];
}

/**
 * Makes sure Kafka and Redis answer, starting only what is missing. Safe to call repeatedly: a running
 * stack is reused. If one service fails, whatever this call started is stopped again, so a failed
 * start never leaves half a stack behind.
 */
export async function stackUp(options: StackUpOptions = {}): Promise<StackUpResult> {
  const ctx = context(options);
  const readyTimeoutMs = options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  const all = drivers(ctx);
  // Room for a first-time jar download on top of the readiness wait of whoever holds the lock.
  const lockTimeoutMs = readyTimeoutMs + 180_000;
  // The clean-up after a failure stays under the lock, so a waiting caller never adopts a service
  // that is about to be stopped again.
  const services = await withLock(join(ctx.root, 'up.lock'), lockTimeoutMs, async () => {
    const settled = await Promise.allSettled(all.map((driver) => upService(driver, ctx, readyTimeoutMs)));
    const ok = settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    const failures = settled.flatMap((result) =>
      result.status === 'rejected' ? [result.reason as unknown] : [],
    );
    if (failures.length === 0) return ok;
    const toStop = ok.filter((service) => service.outcome === 'started').map((service) => service.service);
    for (const service of toStop)
      ctx.onProgress(`${service}: stopping it again, as the stack did not come up`);
    await stackDown({ ...options, services: toStop });
    throw new Error(
      failures.map((failure) => (failure instanceof Error ? failure.message : String(failure))).join('\n\n'),
    );
  });
  return {
    started: services.filter((service) => service.outcome === 'started').map((service) => service.service),
    services,
  };
}

async function upService(
  driver: ServiceDriver,
  ctx: Context,
  readyTimeoutMs: number,
): Promise<ServiceUpResult> {
  const { name, address } = driver;
  if (driver.external) {
    ctx.onProgress(
      `${name}: ${driver.envVar} is set, so using the server at ${address} rather than starting one`,
    );
    const ready = await waitUntil(() => driver.answers(), { timeoutMs: EXTERNAL_READY_TIMEOUT_MS });
    if (!ready.ok) {
      throw new Error(
        `${name}: ${driver.envVar} points at ${address}, but nothing answers there (${ready.reason}). ` +
          `Start that server, or unset ${driver.envVar} to let \`seqscore stack up\` run a local one.`,
      );
    }
    return { service: name, address, outcome: 'external' };
  }

  const runningPid = liveOwnedPid(driver.paths.pidFile, driver.processMarker);
  if (runningPid !== undefined) {
    // It may have been started moments ago by another command and still be booting.
    const ready = await waitForReady(driver, runningPid, readyTimeoutMs);
    if (!ready.ok) throw notReadyError(driver, ctx, ready);
    ctx.onProgress(`${name}: already running at ${address} (pid ${runningPid})`);
    return { service: name, address, outcome: 'running', pid: runningPid };
  }

  if (await tcpAnswers(driver.endpoint)) {
    if (await driver.answers()) {
      ctx.onProgress(`${name}: something not started by seqscore already answers at ${address}; using it`);
      return { service: name, address, outcome: 'external' };
    }
    throw new Error(
      `${name}: port ${driver.endpoint.port} is taken by a program that does not answer like ${name}`,
    );
  }
  for (const extra of driver.extraPorts) {
    if (await tcpAnswers(extra)) {
      throw new Error(
        `${name}: port ${extra.port} is already in use, but ${name} also needs it (next to ${address})`,
      );
    }
  }

  const spec = await driver.prepare(ctx.env, ctx.onProgress);
  const pid = await spawnDetached(spec);
  writePidFile(driver.paths.pidFile, pid);
  ctx.onProgress(
    `${name}: started pid ${pid} for ${address}, log in ${relative(ctx.cwd, driver.paths.logFile)}`,
  );

  const ready = await waitForReady(driver, pid, readyTimeoutMs);
  if (!ready.ok) {
    const error = notReadyError(driver, ctx, ready);
    await stopProcessGroup(pid, 5_000).catch(() => undefined);
    removePidFile(driver.paths.pidFile);
    throw error;
  }
  ctx.onProgress(`${name}: ready at ${address} after ${(ready.elapsedMs / 1000).toFixed(1)} s`);
  return { service: name, address, outcome: 'started', pid };
}

function waitForReady(driver: ServiceDriver, pid: number, timeoutMs: number): Promise<WaitResult> {
  return waitUntil(() => driver.answers(), {
    timeoutMs,
    // No point waiting out the full timeout for a process that already died (bad config, port clash).
    giveUpIf: () => (isProcessAlive(pid) ? undefined : `the process (pid ${pid}) exited`),
  });
}

function notReadyError(driver: ServiceDriver, ctx: Context, ready: WaitResult & { ok: false }): Error {
  const logName = relative(ctx.cwd, driver.paths.logFile);
  const tail = tailFile(driver.paths.logFile, LOG_TAIL_LINES);
  const shownLog = tail.length > 0 ? tail.map((line) => `  | ${line}`).join('\n') : '  (the log is empty)';
  return new Error(
    `${driver.name}: did not answer at ${driver.address}: ${ready.reason}.\n` +
      `Last ${LOG_TAIL_LINES} lines of ${logName}:\n${shownLog}`,
  );
}

/**
 * Stops the processes named in our pid files, and nothing else: an external server, or one that
 * another checkout started, is never touched. Stopping what is not running is not an error.
 */
export async function stackDown(options: StackDownOptions = {}): Promise<StackDownResult> {
  const ctx = context(options);
  const paths = stackPaths(ctx.root);
  const wanted = options.services ?? SERVICE_NAMES;
  // Only paths and markers matter here, so a broken configuration cannot prevent a shutdown.
  const targets = [
    { service: 'kafka' as const, pidFile: paths.kafka.pidFile, marker: paths.kafka.configFile },
    { service: 'redis' as const, pidFile: paths.redis.pidFile, marker: 'redis-server' },
  ].filter((target) => wanted.includes(target.service));

  const services = await Promise.all(
    targets.map(async ({ service, pidFile, marker }): Promise<ServiceDownResult> => {
      const pid = liveOwnedPid(pidFile, marker);
      if (pid === undefined) {
        ctx.onProgress(`${service}: not running`);
        return { service, outcome: 'not-running' };
      }
      ctx.onProgress(`${service}: stopping pid ${pid}`);
      const outcome = await stopProcessGroup(pid, STOP_GRACE_MS);
      removePidFile(pidFile);
      ctx.onProgress(
        outcome === 'killed' ? `${service}: killed after ${STOP_GRACE_MS / 1000} s` : `${service}: stopped`,
      );
      return { service, outcome, pid };
    }),
  );
  return { services };
}

/** Read-only view of both services; leaves stale pid files for `up`/`down` to clean. */
export async function stackStatus(options: StackOptions = {}): Promise<StackStatus> {
  const ctx = context(options);
  const services = await Promise.all(
    drivers(ctx).map(async (driver): Promise<ServiceStatus> => {
      // With the address configured externally, a process of ours (from an earlier run) serves some other
      // address, so it says nothing about this one.
      const pid = driver.external
        ? undefined
        : liveOwnedPid(driver.paths.pidFile, driver.processMarker, { removeStale: false });
      const answering = await driver.answers(2_000);
      const status: ServiceStatus = {
        service: driver.name,
        address: driver.address,
        answering,
        mode: pid !== undefined ? 'managed' : answering ? 'external' : 'stopped',
        configuredExternally: driver.external,
      };
      if (pid !== undefined) {
        status.pid = pid;
        status.logFile = relative(ctx.cwd, driver.paths.logFile);
      }
      return status;
    }),
  );
  return { services };
}
