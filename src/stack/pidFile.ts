import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** Returns the pid written in a pid file, or undefined for anything that is not one positive integer. */
export function parsePid(text: string): number | undefined {
  const trimmed = text.trim();
  if (!/^\d+$/.test(trimmed)) return undefined;
  const pid = Number(trimmed);
  return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
}

export function readPidFile(path: string): number | undefined {
  try {
    return parsePid(readFileSync(path, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

export function writePidFile(path: string, pid: number): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${pid}\n`);
}

export function removePidFile(path: string): void {
  rmSync(path, { force: true });
}

/**
 * kill(pid, 0) alone is not enough: once the CLI that launched a service has exited, the service is
 * reparented, and in containers whose init does not reap children a dead service lingers as a zombie
 * that still "exists". Where /proc is available, zombies count as dead.
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  const stat = readProc(pid, 'stat');
  if (stat === undefined) return true;
  // The state letter follows the parenthesised command name, which may itself contain spaces or ")".
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state !== 'Z' && state !== 'X';
}

/**
 * Guards against pid reuse: a pid file left behind by a crash could name an unrelated process by now,
 * and we must never signal that. Without /proc (non-Linux) we cannot tell, so we trust the pid.
 */
export function processLooksLike(pid: number, marker: string): boolean {
  const cmdline = readProc(pid, 'cmdline');
  if (cmdline === undefined) return true;
  return cmdline.replaceAll('\0', ' ').includes(marker);
}

/**
 * The pid of our live process for this pid file, or undefined. A stale file (process gone, or pid
 * reused by something else) is removed so that later checks start clean.
 */
export function liveOwnedPid(
  pidFile: string,
  marker: string,
  { removeStale = true }: { removeStale?: boolean } = {},
): number | undefined {
  const pid = readPidFile(pidFile);
  if (pid !== undefined && isProcessAlive(pid) && processLooksLike(pid, marker)) return pid;
  if (removeStale) removePidFile(pidFile);
  return undefined;
}

function readProc(pid: number, file: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return undefined;
  }
}
