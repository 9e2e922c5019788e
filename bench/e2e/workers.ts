import { type ChildProcess, spawn } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WORKER_NODE_FLAGS } from '../../src/worker/nodeFlags.js';

export const MODES = ['passthrough', 'naive', 'seqscore'] as const;
export type Mode = (typeof MODES)[number];

const REPO = join(import.meta.dirname, '..', '..');
// `node --import tsx` rather than the tsx binary: SIGTERM must reach the worker itself, not a wrapper.
// seqscore runs its compiled build, as deploy/Dockerfile and the demo do (`npm run bench:e2e` builds
// it first). Through tsx, its transform named every closure created with a call of its own (1.0 to
// 1.4% of a bench:window run in CPU profiles) and its peak resident memory was about 225 MiB higher.
// The other two are the benchmark's own code, run from source.
const ENTRY: Record<Mode, string[]> = {
  passthrough: ['--import', 'tsx', 'bench/e2e/passthroughWorker.ts'],
  naive: ['--import', 'tsx', 'bench/e2e/naiveWorker.ts'],
  seqscore: ['dist/cli/index.js', 'worker'],
};
/** ENTRY in words, for the benchmark's header line: kept beside it so that the two cannot drift apart. */
export const HOW_MODES_RUN = 'seqscore from its build (dist/), the other two from source through tsx';

/** Every worker started and not yet exited: an aborted benchmark must not leave one running. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** One worker under test, as its own process, with its output in a log file. */
export class BenchWorker {
  private readonly exited: Promise<number | null>;

  private constructor(
    private readonly child: ChildProcess,
    readonly mode: Mode,
    readonly logFile: string,
  ) {
    running.add(child);
    this.exited = new Promise((resolve) =>
      child.once('exit', (code) => {
        running.delete(child);
        resolve(code);
      }),
    );
  }

  static start(mode: Mode, env: Record<string, string>, logFile: string): BenchWorker {
    const log = openSync(logFile, 'a');
    // Every mode runs on the runtime settings seqscore ships with, so the ratios compare the code alone.
    const args = [...WORKER_NODE_FLAGS, ...(ENTRY[mode] as string[])];
    const child = spawn(process.execPath, args, {
      cwd: REPO,
      env: { ...process.env, ...env },
      stdio: ['ignore', log, log],
    });
    return new BenchWorker(child, mode, logFile);
  }

  /** `promise`, unless the worker dies first: a wait never hangs on a dead worker. */
  async unlessExited<T>(promise: Promise<T>): Promise<T> {
    const died = this.exited.then((code) => {
      throw new Error(`the ${this.mode} worker exited with ${code}; see ${this.logFile}`);
    });
    return Promise.race([promise, died]);
  }

  /** The backend named by the worker's "model loaded" log line (both modes with a model write one). */
  backend(): string | undefined {
    const line = readFileSync(this.logFile, 'utf8')
      .split('\n')
      .find((text) => text.includes('"msg":"model loaded"'));
    return line === undefined ? undefined : /"backend":"([\w-]+)"/.exec(line)?.[1];
  }

  /** The worker's peak resident memory so far in MiB (VmHWM), where /proc tells it. */
  peakRssMiB(): number | undefined {
    try {
      const kiB = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${this.child.pid}/status`, 'utf8'))?.[1];
      return kiB === undefined ? undefined : Number(kiB) / 1024;
    } catch {
      return undefined;
    }
  }

  /**
   * SIGTERM, then SIGKILL after `timeoutMs`: what the worker still does once measured does not
   * matter, and a slow worker would otherwise finish a long micro-batch first.
   */
  async stop(timeoutMs = 1_000): Promise<void> {
    if (!running.has(this.child)) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }
}
