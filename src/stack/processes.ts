import { spawn } from 'node:child_process';
import {
  accessSync,
  closeSync,
  constants,
  mkdirSync,
  openSync,
  readSync,
  statSync,
  writeSync,
} from 'node:fs';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import { isProcessAlive } from './pidFile.js';

/** Resolves a command the way a shell would, so that we can fail with advice before spawning. */
export function findOnPath(command: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidates = isAbsolute(command)
    ? [command]
    : (env.PATH ?? '')
        .split(delimiter)
        .filter((dir) => dir.length > 0)
        .map((dir) => join(dir, command));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not here; keep looking
    }
  }
  return undefined;
}

export interface CommandResult {
  code: number;
  /** stdout and stderr interleaved, trimmed to the last 64 KiB: enough to explain a failure. */
  output: string;
}

const OUTPUT_LIMIT = 64 * 1024;

/** Runs a short-lived helper (mvn, java tools, apt-get) to completion, capturing what it printed. */
export function runCommand(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<CommandResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const collect = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (output.length > OUTPUT_LIMIT * 2) output = output.slice(-OUTPUT_LIMIT);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      resolvePromise({ code: code ?? (signal ? 128 : 1), output: output.slice(-OUTPUT_LIMIT) });
    });
  });
}

export interface DetachedSpec {
  command: string;
  args: readonly string[];
  cwd: string;
  logFile: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * Starts a long-running service that must outlive the command that started it: a new session (and so
 * a process group we can signal as a whole), output straight into a log file rather than a pipe that
 * would die with us, and no reference keeping our event loop alive.
 */
export function spawnDetached(spec: DetachedSpec): Promise<number> {
  mkdirSync(dirname(spec.logFile), { recursive: true });
  const fd = openSync(spec.logFile, 'a');
  // Each start appends, so mark where this run begins; the log tail in errors then reads sensibly.
  writeSync(fd, `\n=== ${new Date().toISOString()} starting: ${spec.command} ${spec.args.join(' ')}\n`);
  return new Promise((resolvePromise, reject) => {
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.env,
      detached: true,
      stdio: ['ignore', fd, fd],
    });
    child.once('error', (error) => {
      closeSync(fd);
      reject(error);
    });
    child.once('spawn', () => {
      closeSync(fd);
      child.unref();
      if (child.pid === undefined) reject(new Error(`${spec.command} started without a pid`));
      else resolvePromise(child.pid);
    });
  });
}

export type StopOutcome = 'stopped' | 'killed' | 'not-running';

/**
 * SIGTERM first so Kafka can close its logs cleanly and Redis can flush its append-only file; SIGKILL
 * for the whole group only when that takes too long, so a wedged service never blocks `stack down`.
 */
export async function stopProcessGroup(pid: number, graceMs = 15_000): Promise<StopOutcome> {
  if (!isProcessAlive(pid)) return 'not-running';
  signalGroup(pid, 'SIGTERM');
  if (await waitForExit(pid, graceMs)) return 'stopped';
  signalGroup(pid, 'SIGKILL');
  if (await waitForExit(pid, 5_000)) return 'killed';
  throw new Error(`process ${pid} survived SIGKILL`);
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch (error) {
    // Not a group leader (e.g. started by an older version): signal the process itself.
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    try {
      process.kill(pid, signal);
    } catch (inner) {
      if ((inner as NodeJS.ErrnoException).code !== 'ESRCH') throw inner;
    }
  }
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isProcessAlive(pid)) {
    if (Date.now() >= deadline) return false;
    await sleep(100);
  }
  return true;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolvePromise) => setTimeout(resolvePromise, ms));
}

/** The last lines of a log, for error messages; reads only the end so a large log costs nothing. */
export function tailFile(path: string, lines = 30): string[] {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return [];
  }
  try {
    const size = statSync(path).size;
    const length = Math.min(size, 64 * 1024);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    return tailLines(buffer.toString('utf8'), lines);
  } finally {
    closeSync(fd);
  }
}

export function tailLines(text: string, lines: number): string[] {
  const all = text.split(/\r?\n/);
  if (all.at(-1) === '') all.pop();
  return lines > 0 ? all.slice(-lines) : [];
}
