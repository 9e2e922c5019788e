import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  isProcessAlive,
  liveOwnedPid,
  parsePid,
  readPidFile,
  removePidFile,
  writePidFile,
} from '../../src/stack/pidFile.js';

describe('parsePid', () => {
  it('accepts one positive integer, surrounded by whitespace or not', () => {
    expect(parsePid('1234')).toBe(1234);
    expect(parsePid(' 42\n')).toBe(42);
  });

  it.each(['', '0', '-5', '12abc', '1 2', '3.5', '99999999999999999999'])('rejects %j', (text) => {
    expect(parsePid(text)).toBeUndefined();
  });
});

describe('pid files', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'seqscore-pid-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('round-trips a pid, creating missing folders, and removal is idempotent', () => {
    const file = join(dir, 'nested', 'svc.pid');
    expect(readPidFile(file)).toBeUndefined();
    writePidFile(file, 4321);
    expect(readFileSync(file, 'utf8')).toBe('4321\n');
    expect(readPidFile(file)).toBe(4321);
    removePidFile(file);
    removePidFile(file);
    expect(existsSync(file)).toBe(false);
  });

  it('recognises our own live process by its command line', () => {
    const file = join(dir, 'svc.pid');
    writePidFile(file, process.pid);
    // Workers may rename their process title, so take the marker from what the kernel actually shows.
    const ownCommand = existsSync('/proc/self/cmdline')
      ? readFileSync('/proc/self/cmdline', 'utf8').split('\0')[0]!
      : process.execPath;
    expect(liveOwnedPid(file, ownCommand)).toBe(process.pid);
    expect(existsSync(file)).toBe(true);
  });

  it.runIf(existsSync('/proc/self/cmdline'))('treats a reused pid (other command line) as stale', () => {
    const file = join(dir, 'svc.pid');
    writePidFile(file, process.pid);
    expect(liveOwnedPid(file, 'definitely-not-in-this-command-line', { removeStale: false })).toBeUndefined();
    expect(existsSync(file)).toBe(true);
    expect(liveOwnedPid(file, 'definitely-not-in-this-command-line')).toBeUndefined();
    expect(existsSync(file)).toBe(false);
  });

  it('treats the pid of an exited process as stale and removes the file', () => {
    const exited = spawnSync('true');
    const file = join(dir, 'svc.pid');
    writePidFile(file, exited.pid!);
    expect(isProcessAlive(exited.pid!)).toBe(false);
    expect(liveOwnedPid(file, 'true')).toBeUndefined();
    expect(existsSync(file)).toBe(false);
  });

  it('treats a corrupt pid file as stale', () => {
    const file = join(dir, 'svc.pid');
    writeFileSync(file, 'garbage');
    expect(liveOwnedPid(file, 'x')).toBeUndefined();
    expect(existsSync(file)).toBe(false);
  });
});
