import { closeSync, mkdirSync, openSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { isProcessAlive, readPidFile, removePidFile } from './pidFile.js';
import { sleep } from './processes.js';

/**
 * Serialises `stack up` across processes (a demo and a test run started together): without it both
 * would see free ports and both would launch a broker, and the loser would fail on the port. The lock
 * holds the owner's pid, so one left by a killed command is taken over rather than waited on.
 */
export async function withLock<T>(lockFile: string, timeoutMs: number, action: () => Promise<T>): Promise<T> {
  mkdirSync(dirname(lockFile), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (tryAcquire(lockFile)) break;
    const owner = readPidFile(lockFile);
    // An empty lock may be one that its owner has created but not yet written; only an old one is stale.
    const stale = owner === undefined ? ageMs(lockFile) > 5_000 : !isProcessAlive(owner);
    if (stale) {
      removePidFile(lockFile);
      continue;
    }
    if (Date.now() >= deadline) {
      throw new Error(
        `another seqscore command (pid ${owner ?? 'unknown'}) is still starting the stack; try again later`,
      );
    }
    await sleep(200);
  }
  try {
    return await action();
  } finally {
    removePidFile(lockFile);
  }
}

function tryAcquire(lockFile: string): boolean {
  let fd: number;
  try {
    fd = openSync(lockFile, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    writeSync(fd, `${process.pid}\n`);
  } finally {
    closeSync(fd);
  }
  return true;
}

function ageMs(file: string): number {
  try {
    return Date.now() - statSync(file).mtimeMs;
  } catch {
    // Gone already: its owner released it, so there is nothing stale to remove.
    return 0;
  }
}
