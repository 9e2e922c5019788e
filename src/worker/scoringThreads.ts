import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { AggregatorRegistry, collectDefaultMetrics, Registry } from 'prom-client';
import type { Config } from '../config.js';
import { type ErrorSummary, errorSummary, type Logger } from '../logger.js';
import { closeServer, startHttpServer } from '../metrics/httpServer.js';
import type {
  FromScoringThread,
  ScoringThreadAnswers,
  ScoringThreadData,
  ToScoringThread,
} from './scoringThreadProtocol.js';

/**
 * The worker process as several consumer-group members, one per thread. A pipeline keeps one core
 * busy (scoring is most of it) and waits on Kafka and Redis in between; on a machine with more
 * cores, one more member per core takes its share of the partitions instead of a second process.
 * Threads share nothing but this process: each has its own clients, model and metrics; the main
 * thread only serves /metrics (the threads' registries summed), /healthz and /readyz.
 */

const REQUEST_TIMEOUT_MS = 5_000;

/** tsx's ESM API, located through its package.json (vitest, which runs the tests, has no import.meta.resolve). */
function tsxEsmApi(): string {
  const packageJson = createRequire(import.meta.url).resolve('tsx/package.json');
  const { exports } = JSON.parse(readFileSync(packageJson, 'utf8')) as {
    exports: { './esm/api': { import: { default: string } } };
  };
  return pathToFileURL(join(dirname(packageJson), exports['./esm/api'].import.default)).href;
}

/**
 * Built, a thread runs scoringThread.js. Run from source, it runs scoringThread.ts through tsx, whose
 * loader Node 20 does not carry over to worker threads: a one-line bootstrap registers it first.
 */
function threadEntry(): { filename: string | URL; eval: boolean } {
  const fromSource = import.meta.url.endsWith('.ts');
  const entry = new URL(`./scoringThread.${fromSource ? 'ts' : 'js'}`, import.meta.url);
  if (!fromSource) return { filename: entry, eval: false };
  const tsx = JSON.stringify(tsxEsmApi());
  return {
    filename: `import(${tsx}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); });`,
    eval: true,
  };
}

export class ThreadFailure extends Error {
  override readonly name = 'ThreadFailure';

  constructor(
    readonly thread: number,
    readonly error: ErrorSummary,
  ) {
    super(`scoring thread ${thread}: ${error.name}: ${error.message}`);
  }
}

/** Promise.withResolvers, which Node 20 lacks. */
function deferred() {
  let resolve = () => {};
  let reject: (error: Error) => void = () => {};
  const promise = new Promise<void>((resolvePromise, rejectPromise) => {
    resolve = resolvePromise;
    reject = rejectPromise;
  });
  return { promise, resolve, reject };
}

class ScoringThread {
  private nextId = 0;
  private readonly pending = new Map<number, (answer: FromScoringThread) => void>();
  private readonly worker: Worker;
  /** Resolves once the thread has loaded everything and waits to join the consumer group. */
  readonly prepared: Promise<void>;
  readonly started: Promise<void>;
  readonly exited: Promise<number>;

  constructor(
    readonly index: number,
    config: Config,
    onFailure: (failure: ThreadFailure) => void,
  ) {
    const { filename, eval: isScript } = threadEntry();
    const worker = new Worker(filename, {
      eval: isScript,
      workerData: { config, index } satisfies ScoringThreadData,
    });
    this.worker = worker;
    this.exited = new Promise((resolve) => worker.once('exit', resolve));
    const prepared = deferred();
    const started = deferred();
    this.prepared = prepared.promise;
    this.started = started.promise;
    const fail = (error: ErrorSummary) => {
      const failure = new ThreadFailure(index, error);
      prepared.reject(failure);
      started.reject(failure);
      onFailure(failure);
    };
    worker.on('message', (message: FromScoringThread) => {
      if (message.type === 'prepared') prepared.resolve();
      else if (message.type === 'started') started.resolve();
      else if (message.type === 'fatal') fail(message.error);
      else this.pending.get(message.id)?.(message);
    });
    worker.once('error', (error) => fail(errorSummary(error)));
    // Rejections nobody awaits (a failure after start) are reported through onFailure.
    this.prepared.catch(() => {});
    this.started.catch(() => {});
  }

  join(): void {
    this.worker.postMessage({ type: 'join' } satisfies ToScoringThread);
  }

  /** The thread's answer, or undefined if it does not come in time (the thread is busy or stuck). */
  request<T extends keyof ScoringThreadAnswers>(
    type: T,
    timeoutMs = REQUEST_TIMEOUT_MS,
  ): Promise<ScoringThreadAnswers[T] | undefined> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve(undefined);
      }, timeoutMs);
      this.pending.set(id, (answer) => {
        clearTimeout(timer);
        this.pending.delete(id);
        resolve(answer as ScoringThreadAnswers[T]);
      });
      this.worker.postMessage({ type, id } satisfies ToScoringThread);
    });
  }

  async terminate(): Promise<void> {
    await this.worker.terminate();
  }
}

export interface ThreadedWorker {
  httpPort: number;
  threads: number;
  /** Stops every thread's pipeline (each finishes its micro-batch in flight and commits). */
  stop(): Promise<void>;
}

/**
 * Starts `config.worker.threads` pipelines and the HTTP server. Rejects if any thread fails to start;
 * a thread failing later is reported to `onFatal`, since the process can no longer do its share.
 */
export async function startThreadedWorker(
  config: Config,
  logger: Logger,
  onFatal: (error: Error) => void,
): Promise<ThreadedWorker> {
  let state: 'starting' | 'running' | 'stopping' | 'failed' = 'starting';
  const fail = (failure: ThreadFailure) => {
    if (state !== 'running') return;
    state = 'failed';
    onFatal(failure);
  };
  const threads = Array.from(
    { length: config.worker.threads },
    (_, index) => new ScoringThread(index, config, fail),
  );
  const terminateAll = () => Promise.all(threads.map((thread) => thread.terminate()));
  try {
    await Promise.all(threads.map((thread) => thread.prepared));
    for (const thread of threads) thread.join();
    await Promise.all(threads.map((thread) => thread.started));
  } catch (error) {
    await terminateAll();
    throw error;
  }
  state = 'running';
  for (const thread of threads) {
    void thread.exited.then((code) =>
      fail(new ThreadFailure(thread.index, { name: 'Exit', message: `exited with code ${code}` })),
    );
  }

  const processMetrics = new Registry();
  collectDefaultMetrics({ register: processMetrics });
  const server: Server = await startHttpServer({
    host: config.metrics.host,
    port: config.metrics.port,
    metrics: async () => {
      const answers = await Promise.all(threads.map((thread) => thread.request('metrics')));
      const missing = answers.indexOf(undefined);
      if (missing >= 0) throw new Error(`scoring thread ${missing} did not send its metrics in time`);
      return AggregatorRegistry.aggregate([
        await processMetrics.getMetricsAsJSON(),
        ...answers.map((answer) => (answer as ScoringThreadAnswers['metrics']).metrics),
      ]);
    },
    health: async () => {
      const answers = await Promise.all(threads.map((thread) => thread.request('health')));
      return {
        // A thread that cannot answer within the timeout is stuck, as a one-thread worker whose
        // HTTP server cannot answer would be.
        live: state === 'running' && !answers.includes(undefined),
        ready: state === 'running' && answers.every((answer) => answer?.ready === true),
        details: { threads: answers.map((answer) => answer?.details ?? { answering: false }) },
      };
    },
  }).catch(async (error) => {
    await terminateAll();
    throw error;
  });
  logger.info({ threads: threads.length }, 'scoring threads started');

  return {
    httpPort: (server.address() as AddressInfo).port,
    threads: threads.length,
    stop: async () => {
      if (state === 'stopping') return;
      state = 'stopping';
      const answers = await Promise.all(
        threads.map((thread) => thread.request('stop', config.worker.shutdownTimeoutMs)),
      );
      await closeServer(server);
      await terminateAll();
      answers.forEach((answer, index) => {
        if (answer === undefined)
          throw new ThreadFailure(index, { name: 'Timeout', message: 'did not stop in time' });
        if (answer.error) throw new ThreadFailure(index, answer.error);
      });
    },
  };
}
