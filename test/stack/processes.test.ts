import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isProcessAlive } from '../../src/stack/pidFile.js';
import {
  findOnPath,
  runCommand,
  sleep,
  spawnDetached,
  stopProcessGroup,
  tailFile,
  tailLines,
} from '../../src/stack/processes.js';

describe('tailLines / tailFile', () => {
  it('returns the last lines without the empty one after a final newline', () => {
    expect(tailLines('a\nb\nc\n', 2)).toEqual(['b', 'c']);
    expect(tailLines('a\r\nb', 5)).toEqual(['a', 'b']);
    expect(tailLines('a\nb', 0)).toEqual([]);
  });

  it('reads only the end of a large file, and a missing file has no lines', () => {
    const dir = mkdtempSync(join(tmpdir(), 'seqscore-tail-'));
    try {
      const file = join(dir, 'big.log');
      writeFileSync(file, Array.from({ length: 20_000 }, (_, i) => `line ${i}`).join('\n'));
      expect(tailFile(file, 3)).toEqual(['line 19997', 'line 19998', 'line 19999']);
      expect(tailFile(join(dir, 'missing.log'))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('findOnPath', () => {
  it('finds executables on PATH and nothing for unknown names', () => {
    expect(findOnPath('sh')).toMatch(/\/sh$/);
    expect(findOnPath('no-such-command-seqscore')).toBeUndefined();
    expect(findOnPath('sh', { PATH: '' })).toBeUndefined();
  });
});

describe('runCommand', () => {
  it('captures stdout and stderr and the exit code', async () => {
    const result = await runCommand('sh', ['-c', 'echo out; echo err >&2; exit 3']);
    expect(result.code).toBe(3);
    expect(result.output).toContain('out');
    expect(result.output).toContain('err');
  });
});

describe.runIf(process.platform === 'linux')('detached services', () => {
  let dir: string;
  const started: number[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'seqscore-proc-'));
  });
  afterEach(async () => {
    for (const pid of started.splice(0)) await stopProcessGroup(pid, 100).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  const processGroup = (pid: number) => {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
  };

  it('runs in its own process group, writing to the log, and stops on SIGTERM', async () => {
    const logFile = join(dir, 'svc.log');
    const pid = await spawnDetached({
      command: 'sh',
      args: ['-c', 'echo hello; exec sleep 60'],
      cwd: dir,
      logFile,
    });
    started.push(pid);
    expect(processGroup(pid)).toBe(pid);
    await sleep(200);
    expect(readFileSync(logFile, 'utf8')).toMatch(/=== .* starting: sh -c[\s\S]*hello/);
    expect(await stopProcessGroup(pid, 5_000)).toBe('stopped');
    expect(isProcessAlive(pid)).toBe(false);
    expect(await stopProcessGroup(pid)).toBe('not-running');
  });

  it('kills the whole group when SIGTERM is ignored', async () => {
    const childPidFile = join(dir, 'child.pid');
    // The ignored SIGTERM is inherited by the background child, like a service's helper processes.
    const script = `trap "" TERM; sleep 60 & echo $! > ${childPidFile}; wait`;
    const pid = await spawnDetached({
      command: 'sh',
      args: ['-c', script],
      cwd: dir,
      logFile: join(dir, 'x.log'),
    });
    started.push(pid);
    for (let i = 0; i < 50 && !existsSync(childPidFile); i++) await sleep(50);
    const childPid = Number(readFileSync(childPidFile, 'utf8'));
    expect(await stopProcessGroup(pid, 300)).toBe('killed');
    // The kernel takes a moment to tear a killed process down, longer on a loaded machine.
    await expect.poll(() => isProcessAlive(pid), { timeout: 2_000 }).toBe(false);
    await expect.poll(() => isProcessAlive(childPid), { timeout: 2_000 }).toBe(false);
  });

  it('rejects when the command does not exist', async () => {
    await expect(
      spawnDetached({ command: 'no-such-command-seqscore', args: [], cwd: dir, logFile: join(dir, 'y.log') }),
    ).rejects.toThrow(/ENOENT/);
  });
});
