import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withLock } from '../../src/stack/lock.js';
import { sleep } from '../../src/stack/processes.js';

describe('withLock', () => {
  let dir: string;
  let lockFile: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'seqscore-lock-'));
    lockFile = join(dir, 'nested', 'up.lock');
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs holders one at a time and releases the lock afterwards, even on failure', async () => {
    const events: string[] = [];
    const holder = (name: string) => async () => {
      events.push(`${name} in`);
      await sleep(100);
      events.push(`${name} out`);
    };
    await Promise.all([withLock(lockFile, 5_000, holder('a')), withLock(lockFile, 5_000, holder('b'))]);
    expect(events).toEqual(['a in', 'a out', 'b in', 'b out']);
    await expect(withLock(lockFile, 1_000, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(existsSync(lockFile)).toBe(false);
  });

  it('takes over a lock whose owner has died', async () => {
    const dead = spawnSync('true').pid!;
    await withLock(lockFile, 1_000, async () => undefined); // creates the folder
    writeFileSync(lockFile, `${dead}\n`);
    expect(await withLock(lockFile, 1_000, async () => 'ran')).toBe('ran');
  });

  it('takes over an empty lock only once it is old', async () => {
    writeFileSync(join(dir, 'empty.lock'), '');
    await expect(withLock(join(dir, 'empty.lock'), 300, async () => 'ran')).rejects.toThrow(/still starting/);
    const old = new Date(Date.now() - 60_000);
    utimesSync(join(dir, 'empty.lock'), old, old);
    expect(await withLock(join(dir, 'empty.lock'), 300, async () => 'ran')).toBe('ran');
  });

  it('gives up on a live owner after the timeout', async () => {
    await withLock(lockFile, 1_000, async () => {
      await expect(withLock(lockFile, 300, async () => 'ran')).rejects.toThrow(/pid \d+\) is still starting/);
    });
  });
});
