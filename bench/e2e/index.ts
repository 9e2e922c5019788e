import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { Redis } from 'ioredis';
import type { Kafka } from 'kafkajs';
import { positiveInt, positiveNumber } from '../../src/cli/sourceOptions.js';
import { type Config, loadConfig } from '../../src/config.js';
import type { UserEvent } from '../../src/events/event.js';
import { syntheticEvents } from '../../src/events/synthetic.js';
import { createKafka, ensureTopics } from '../../src/infra/kafka.js';
import { redisConnectionOptions } from '../../src/infra/redis.js';
import { stackDown, stackUp } from '../../src/stack/index.js';
import { WORKER_NODE_FLAGS } from '../../src/worker/nodeFlags.js';
import { LatencyTracker, OutputCollector, ThroughputTracker } from './collector.js';
import { type BenchMessage, pacedSamples, produceBacklog, producePaced } from './kafkaLoad.js';
import { benchModelFolder } from './model.js';
import { deleteKeys, keyBytes, usedMemory } from './redisUsage.js';
import {
  type E2eSummary,
  type LatencySummary,
  type LateScores,
  lateScores,
  pooledRate,
  ratio,
  summarizeLatency,
  summaryJson,
} from './stats.js';
import {
  atSpeed,
  fullWindowStream,
  readTaobaoSlice,
  syntheticMessages,
  type TaobaoSlice,
} from './streams.js';
import { BenchWorker, HOW_MODES_RUN, MODES, type Mode } from './workers.js';

interface Options {
  quick: boolean;
  json: boolean;
  events?: number;
  users?: number;
  naiveEvents?: number;
  rate: number;
  latencySeconds?: number;
  windowUsers?: number;
  speedup?: number;
  dataDir: string;
}

const program = new Command('bench:e2e')
  .description(
    'End-to-end benchmark against the local Kafka and Redis: passthrough (Kafka only), naive (whole ' +
      'window per event) and the seqscore worker, each in its own process; throughput from a backlog, ' +
      'latency at a fixed offered rate, window 20 vs 200, Redis bytes per user, and a Taobao replay.',
  )
  .option('--quick', 'a shorter run (under 3 minutes) with the same fields', false)
  .option('--json', 'print one JSON summary as the last line', false)
  .option('--events <n>', 'backlog for the throughput runs (default 1,000,000; quick 40,000)', positiveInt)
  .option('--users <n>', 'users of the synthetic stream (default 100,000; quick 20,000)', positiveInt)
  .option('--naive-events <n>', 'backlog of the naive mode (default 5,000; quick 500)', positiveInt)
  .option('--rate <eventsPerSecond>', 'offered load of the latency runs', positiveNumber, 5_000)
  .option('--latency-seconds <s>', 'length of each latency run (default 30; quick 5)', positiveNumber)
  .option('--window-users <n>', 'users of the window-size runs (default 1,000; quick 60)', positiveInt)
  .option('--speedup <x>', 'Taobao replay speed (default: the slice lasts 60 s; quick 20 s)', positiveNumber)
  .option('--data-dir <dir>', 'folder with the Taobao time slice', '../shared/data')
  .parse();
const options = program.opts<Options>();
const quick = options.quick;
const settings = {
  events: options.events ?? (quick ? 40_000 : 1_000_000),
  users: options.users ?? (quick ? 20_000 : 100_000),
  naiveEvents: options.naiveEvents ?? (quick ? 500 : 5_000),
  rate: options.rate,
  latencySeconds: options.latencySeconds ?? (quick ? 5 : 30),
  windowUsers: options.windowUsers ?? (quick ? 60 : 1_000),
  replaySeconds: quick ? 20 : 60,
  /** A phase that is not done by then is measured on what it delivered (and says so). */
  /** A quick backlog must drain within it, or the latency run that follows starts behind it. */
  phaseLimitSeconds: quick ? 12 : 600,
  drainSeconds: quick ? 2 : 10,
  /** How much longer a mode waits, after its last phase, for scores still missing at a drain's end. */
  lateSeconds: quick ? 10 : 60,
  partitions: 6,
};
/** From start to first output: process start, model load, group join, first fetch. */
const STARTUP_LIMIT_MS = 120_000;
const TIMESLICE_FILE = 'taobao-userbehavior-timeslice-20171126.csv';
/** The window runs measure only events whose user already has this many: a full window at 200. */
const FULL_AFTER = 200;

const startedAt = Date.now();
const log = (line: string) =>
  console.error(`[${((Date.now() - startedAt) / 1000).toFixed(0).padStart(3)} s] ${line}`);
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
const runId = `bench-e2e-${randomUUID().slice(0, 8)}`;
const workDir = mkdtempSync(join(tmpdir(), 'seqscore-bench-e2e-'));

interface Run {
  name: string;
  env: Record<string, string>;
  config: Config;
}

const runs: Run[] = [];
function newRun(name: string, env: Record<string, string>): Run {
  const base = `${runId}-${name}`;
  const runEnv = {
    SEQSCORE_INPUT_TOPIC: `${base}-in`,
    SEQSCORE_OUTPUT_TOPIC: `${base}-out`,
    SEQSCORE_DLQ_TOPIC: `${base}-dlq`,
    SEQSCORE_GROUP_ID: `${base}-group`,
    SEQSCORE_REDIS_PREFIX: base,
    SEQSCORE_TOPIC_PARTITIONS: String(settings.partitions),
    SEQSCORE_METRICS_HOST: '127.0.0.1',
    SEQSCORE_METRICS_PORT: '0',
    SEQSCORE_LOG_LEVEL: 'info',
    TF_CPP_MIN_LOG_LEVEL: '2',
    ...env,
  };
  const config = loadConfig({ ...process.env, ...runEnv });
  const run = { name, env: runEnv, config };
  runs.push(run);
  return run;
}

async function waitUntil(done: () => boolean, deadlineMs: number, worker: BenchWorker): Promise<boolean> {
  return worker.unlessExited(
    (async () => {
      while (!done()) {
        if (Date.now() > deadlineMs) return false;
        await sleep(100);
      }
      return true;
    })(),
  );
}

interface Throughput {
  eventsPerSec: number;
  measured: number;
  expected: number;
}

/**
 * The worker has started on a backlog already in its input topic. Events/s from its first to its
 * last output; a backlog not done `phaseLimitSeconds` after the first output is measured on what
 * was done by then.
 */
async function backlogThroughput(
  worker: BenchWorker,
  collector: OutputCollector,
  total: number,
  measured?: Set<string>,
): Promise<Throughput> {
  const tracker = new ThroughputTracker(measured ? (eventId) => measured.has(eventId) : undefined);
  const unwatch = collector.watch(tracker.sink);
  try {
    const started = await waitUntil(() => tracker.seen > 0, Date.now() + STARTUP_LIMIT_MS, worker);
    if (!started)
      throw new Error(
        `the ${worker.mode} worker wrote nothing in ${STARTUP_LIMIT_MS / 1000} s; see ${worker.logFile}`,
      );
    await waitUntil(() => tracker.seen >= total, Date.now() + settings.phaseLimitSeconds * 1000, worker);
    return {
      eventsPerSec: tracker.eventsPerSec(),
      measured: tracker.count,
      expected: measured?.size ?? total,
    };
  } finally {
    unwatch();
  }
}

type PacedLatency = LatencySummary & { offeredPerSec: number; late?: LateScores };

/**
 * A paced run's events still without a score when it was measured: its tracker goes on collecting
 * until the mode's last phase is done, so that a late score can be told from a lost one.
 */
interface PacedRun {
  latency: PacedLatency;
  waiting: string[];
  outputs: ReadonlyMap<string, number>;
  unwatch: () => void;
}

/** Sends messages when due and collects each one's output; latency over the steady part. */
async function pacedLatency(
  kafka: Kafka,
  run: Run,
  worker: BenchWorker,
  collector: OutputCollector,
  messages: Iterable<BenchMessage>,
): Promise<PacedRun> {
  const tracker = new LatencyTracker();
  const unwatch = collector.watch(tracker.sink);
  const sent = new Map<string, number>();
  const paced = await worker.unlessExited(
    producePaced(kafka, run.config.topics.input, messages, (eventId, sentMs) => sent.set(eventId, sentMs)),
  );
  const deadlineMs = Date.now() + settings.drainSeconds * 1000;
  await waitUntil(() => tracker.outputs.size >= sent.size, deadlineMs, worker);
  // 2 s, or a quarter of a shorter run.
  const warmupMs = Math.min(2_000, paced.seconds * 250);
  const latency = {
    ...summarizeLatency(pacedSamples(sent, tracker.outputs), warmupMs, Math.min(Date.now(), deadlineMs)),
    offeredPerSec: paced.sent / paced.seconds,
  };
  const waiting = [...sent.keys()].filter((eventId) => !tracker.outputs.has(eventId));
  return { latency, waiting, outputs: tracker.outputs, unwatch };
}

/**
 * Waits up to `lateSeconds` for the scores that paced runs were still waiting for, and records how
 * many came. A mode further behind than `lateSeconds` of its backlog rate (naive, overloaded by
 * design) could not catch up in that time and is not waited for.
 */
async function awaitLateScores(
  runs: readonly PacedRun[],
  worker: BenchWorker,
  backlogEventsPerSec: number,
): Promise<void> {
  try {
    const waiting = runs.reduce((sum, run) => sum + run.waiting.length, 0);
    // Negated so that an unmeasured (NaN) rate skips the wait too.
    if (waiting === 0 || !(waiting <= backlogEventsPerSec * settings.lateSeconds)) return;
    log(`${worker.mode}: waiting up to ${settings.lateSeconds} s for ${waiting} scores still missing ...`);
    const allScored = () =>
      runs.every((run) => lateScores(run.waiting, run.outputs).scoredLater === run.waiting.length);
    await waitUntil(allScored, Date.now() + settings.lateSeconds * 1000, worker);
    for (const run of runs) run.latency.late = lateScores(run.waiting, run.outputs);
  } finally {
    for (const run of runs) run.unwatch();
  }
}

async function prepareTopics(kafka: Kafka, run: Run): Promise<void> {
  const { input, output, deadLetter, partitions } = run.config.topics;
  await ensureTopics(
    kafka,
    [input, output, deadLetter].map((topic) => ({ topic, partitions })),
  );
}

interface ModeOutcome {
  mode: Mode;
  throughput: Throughput;
  latency: PacedLatency;
  backend?: string;
  /** seqscore's scoring threads; the other modes run one. */
  threads?: number;
  replay?: { latency: PacedLatency; speedup: number; skipped: number };
  /** The worker's peak resident memory over its phases, where the system tells it. */
  peakRssMiB?: number;
}

async function runMode(
  kafka: Kafka,
  mode: Mode,
  modelDir: string,
  replay: TaobaoSlice | undefined,
): Promise<ModeOutcome> {
  const run = newRun(mode, { SEQSCORE_MODEL_DIR: modelDir, SEQSCORE_WINDOW_SIZE: '50' });
  await prepareTopics(kafka, run);
  const latencyEvents = Math.ceil(settings.rate * settings.latencySeconds);
  const backlog = mode === 'naive' ? Math.min(settings.naiveEvents, settings.events) : settings.events;
  const stream: Iterator<UserEvent> = syntheticEvents({
    users: settings.users,
    events: backlog + latencyEvents,
    seed: 11,
  });
  log(`${mode}: producing a backlog of ${backlog.toLocaleString('en-US')} events ...`);
  await produceBacklog(kafka, run.config.topics.input, syntheticMessages(stream, backlog));
  const collector = await OutputCollector.start(kafka, run.config.topics.output);
  const worker = BenchWorker.start(mode, run.env, join(workDir, `${mode}.log`));
  try {
    log(`${mode}: consuming the backlog ...`);
    const throughput = await backlogThroughput(worker, collector, backlog);
    log(`${mode}: ${settings.rate} events/s offered for ${settings.latencySeconds} s ...`);
    const paced = await pacedLatency(
      kafka,
      run,
      worker,
      collector,
      syntheticMessages(stream, latencyEvents, settings.rate),
    );
    const outcome: ModeOutcome = {
      mode,
      throughput,
      latency: paced.latency,
      backend: worker.backend(),
      ...(mode === 'seqscore' ? { threads: run.config.worker.threads } : {}),
    };
    const pacedRuns = [paced];
    if (replay) {
      const speedup = options.speedup ?? replay.recordedSeconds / settings.replaySeconds;
      log(`${mode}: Taobao time slice, ${replay.messages.length} events at x${speedup.toFixed(0)} ...`);
      const replayed = await pacedLatency(kafka, run, worker, collector, atSpeed(replay, speedup));
      outcome.replay = { latency: replayed.latency, speedup, skipped: replay.skipped };
      pacedRuns.push(replayed);
    }
    await awaitLateScores(pacedRuns, worker, throughput.eventsPerSec);
    const peakRssMiB = worker.peakRssMiB();
    return peakRssMiB === undefined ? outcome : { ...outcome, peakRssMiB };
  } finally {
    await worker.stop();
    await collector.stop();
  }
}

interface WindowOutcome {
  window: number;
  throughput: Throughput;
  redis?: { keys: number; memoryUsagePerUser: number; usedMemoryPerUser: number };
}

async function runWindow(
  kafka: Kafka,
  redis: Redis,
  name: string,
  window: number,
  modelDir: string,
  stream: ReturnType<typeof fullWindowStream>,
  measureRedis: boolean,
): Promise<WindowOutcome> {
  const run = newRun(name, {
    SEQSCORE_MODEL_DIR: modelDir,
    SEQSCORE_WINDOW_SIZE: String(window),
  });
  await prepareTopics(kafka, run);
  log(`window ${window}: producing ${stream.messages.length.toLocaleString('en-US')} events ...`);
  await produceBacklog(kafka, run.config.topics.input, stream.messages);
  const memoryBefore = await usedMemory(redis);
  const collector = await OutputCollector.start(kafka, run.config.topics.output);
  const worker = BenchWorker.start('seqscore', run.env, join(workDir, `${name}.log`));
  let throughput: Throughput;
  try {
    log(`window ${window}: consuming; measuring events of users with ${FULL_AFTER}+ earlier events ...`);
    throughput = await backlogThroughput(worker, collector, stream.messages.length, stream.measured);
  } finally {
    await worker.stop();
    await collector.stop();
  }
  if (!measureRedis) return { window, throughput };
  const usage = await keyBytes(redis, `${run.config.redis.keyPrefix}:`);
  const memoryAfter = await usedMemory(redis);
  return {
    window,
    throughput,
    redis: {
      keys: usage.keys,
      memoryUsagePerUser: usage.bytes / stream.users,
      usedMemoryPerUser: (memoryAfter - memoryBefore) / stream.users,
    },
  };
}

async function cleanUp(kafka: Kafka, redis: Redis): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const topics = runs
      .flatMap((run) => [run.config.topics.input, run.config.topics.output, run.config.topics.deadLetter])
      .filter((topic) => existing.has(topic));
    if (topics.length > 0) await admin.deleteTopics({ topics });
    const groups = (await admin.listGroups()).groups
      .map((group) => group.groupId)
      .filter((groupId) => runs.some((run) => run.config.kafka.groupId === groupId));
    if (groups.length > 0) await admin.deleteGroups(groups).catch(() => undefined);
  } finally {
    await admin.disconnect();
  }
  for (const run of runs) await deleteKeys(redis, `${run.config.redis.keyPrefix}:`);
}

const fmtRate = (value: number) =>
  Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : 'n/a';
const fmtMs = (value: number, lowerBound: boolean) =>
  Number.isFinite(value) ? `${lowerBound ? '>' : ''}${Math.round(value).toLocaleString('en-US')}` : 'n/a';
const fmtRatio = (value: number) => (Number.isFinite(value) ? `${value.toFixed(2)}x` : 'n/a');

function printTable(rows: string[][]): void {
  const widths =
    rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  for (const row of rows)
    console.log(
      row
        .map((cell, column) => cell.padEnd(widths[column] ?? 0))
        .join('  ')
        .trimEnd(),
    );
}

/** A phase cut at its limit is measured on what it delivered; the rest of a backlog then queues before the paced events. */
function throughputNote(throughput: Throughput): string {
  return throughput.measured < throughput.expected
    ? `backlog: only ${throughput.measured.toLocaleString('en-US')} of ${throughput.expected.toLocaleString('en-US')} within ${settings.phaseLimitSeconds} s`
    : '';
}

function latencyRow(name: string, eventsPerSec: string, latency: PacedLatency, note: string, peakRss = '') {
  const missing = latency.offered - latency.delivered;
  const late = latency.late;
  return [
    name,
    eventsPerSec,
    fmtRate(latency.offeredPerSec),
    fmtRate(latency.deliveredPerSec),
    fmtMs(latency.p50Ms, latency.lowerBound),
    fmtMs(latency.p95Ms, latency.lowerBound),
    fmtMs(latency.p99Ms, latency.lowerBound),
    peakRss,
    [
      note,
      missing > 0 ? `${missing.toLocaleString('en-US')} not scored after ${settings.drainSeconds} s` : '',
      late && late.waiting > 0
        ? `${late.scoredLater.toLocaleString('en-US')} of the ${late.waiting.toLocaleString('en-US')} unscored then (warm-up included) scored before the mode ended`
        : '',
    ]
      .filter((part) => part !== '')
      .join('; '),
  ];
}

async function main(): Promise<void> {
  const stack = await stackUp({ onProgress: (line) => log(`stack: ${line}`) });
  const config = loadConfig();
  const kafka = createKafka(config.kafka, { clientId: 'bench-e2e' });
  const redis = new Redis(config.redis.url, redisConnectionOptions(config.redis));
  const replayPath = join(resolve(options.dataDir), TIMESLICE_FILE);
  const replay = existsSync(replayPath) ? await readTaobaoSlice(replayPath) : undefined;
  if (!replay) log(`no ${TIMESLICE_FILE} in ${options.dataDir}: the Taobao replay is skipped`);
  try {
    // One model for every run: it reads the last 50 events, as the default model does, whatever
    // the window Redis keeps; the window size then changes only what is stored per user.
    log('saving an untrained model of production size ...');
    const model = await benchModelFolder(workDir, 50);
    const outcomes: Record<Mode, ModeOutcome> = {} as Record<Mode, ModeOutcome>;
    for (const mode of MODES) {
      outcomes[mode] = await runMode(kafka, mode, model, mode === 'seqscore' ? replay : undefined);
    }
    const stream = fullWindowStream(settings.windowUsers, FULL_AFTER, 23);
    // 20, 50, 200, 200, 50, 20: the machine's speed drifts over minutes, and in this order a steady
    // drift weighs on every window alike. One run of each, one after the other, read 0.69 and 0.97.
    // The second window 50 run, last to write its keys, is the one whose Redis memory is measured.
    const order = [20, 50, 200, 200, 50, 20];
    const redisRun = order.lastIndexOf(50);
    const windowRuns: WindowOutcome[] = [];
    for (const [i, window] of order.entries()) {
      windowRuns.push(
        await runWindow(kafka, redis, `w${window}-${i + 1}`, window, model, stream, i === redisRun),
      );
    }
    const window50 = windowRuns[redisRun] as WindowOutcome;
    const pooledWindow = (window: number) =>
      pooledRate(windowRuns.filter((run) => run.window === window).map((run) => run.throughput));
    const window20 = pooledWindow(20);
    const window200 = pooledWindow(200);

    const seconds = (Date.now() - startedAt) / 1000;
    const { passthrough, naive, seqscore } = outcomes;
    console.log(`\nnpm run bench:e2e -- ${process.argv.slice(2).join(' ')}`.trimEnd());
    console.log(
      `${quick ? 'quick' : 'full'} run in ${seconds.toFixed(0)} s; backend ${seqscore.backend ?? 'unknown'}; ` +
        `model GRU 64, item embedding 32, 20,000 items + 1,000 buckets, untrained; top-K ${config.model.topK} items per score`,
    );
    console.log(
      `synthetic events: ${settings.users.toLocaleString('en-US')} users (Zipf 0.8), items Zipf 1.05; ` +
        `throughput backlog ${settings.events.toLocaleString('en-US')} (naive ${naive.throughput.expected.toLocaleString('en-US')}); ` +
        `latency after a 2 s warm-up; ${settings.partitions} partitions`,
    );
    const threads = seqscore.threads ?? 1;
    // The naive ratio compares unlike set-ups when seqscore runs more than one thread: say so.
    console.log(
      `seqscore runs ${threads} scoring thread${threads === 1 ? '' : 's'} (SEQSCORE_WORKER_THREADS); ` +
        `passthrough and naive run one; every worker runs node ${WORKER_NODE_FLAGS.join(' ')}; ` +
        `${HOW_MODES_RUN}\n`,
    );
    const rows = [
      [
        'mode',
        'backlog ev/s',
        'offered/s',
        'delivered/s',
        'p50 ms',
        'p95 ms',
        'p99 ms',
        'peak RSS MiB',
        'notes',
      ],
      ...[passthrough, naive, seqscore].map((outcome) =>
        latencyRow(
          outcome.mode,
          fmtRate(outcome.throughput.eventsPerSec),
          outcome.latency,
          throughputNote(outcome.throughput),
          outcome.peakRssMiB === undefined ? 'n/a' : outcome.peakRssMiB.toFixed(0),
        ),
      ),
    ];
    if (seqscore.replay) {
      rows.push(
        latencyRow(
          `seqscore, Taobao slice x${seqscore.replay.speedup.toFixed(0)}`,
          '',
          seqscore.replay.latency,
          seqscore.replay.skipped > 0 ? `${seqscore.replay.skipped} unreadable rows not sent` : '',
        ),
      );
    }
    printTable(rows);
    console.log(
      `\nseqscore / passthrough ${fmtRatio(ratio(seqscore.throughput.eventsPerSec, passthrough.throughput.eventsPerSec))}, ` +
        `seqscore / naive ${fmtRatio(ratio(seqscore.throughput.eventsPerSec, naive.throughput.eventsPerSec))} (backlog throughput)`,
    );
    console.log(
      `\nseqscore with full windows: ${stream.users.toLocaleString('en-US')} users, ${stream.messages.length.toLocaleString('en-US')} events, ` +
        `measured over the ${stream.measured.size.toLocaleString('en-US')} whose user had ${FULL_AFTER}+ earlier events`,
    );
    printTable([
      ['run', 'window', 'events/s', 'notes'],
      ...windowRuns.map((outcome, i) => [
        String(i + 1),
        String(outcome.window),
        fmtRate(outcome.throughput.eventsPerSec),
        throughputNote(outcome.throughput),
      ]),
    ]);
    console.log(
      `window 200 / window 20 ${fmtRatio(ratio(window200, window20))} ` +
        `(${fmtRate(window200)} / ${fmtRate(window20)} events/s, each over both of its runs)`,
    );
    // The model reads the last 50 events: at window 20 it scores shorter histories than at 50 or 200.
    console.log(
      `window 200 / window 50 ${fmtRatio(ratio(window200, pooledWindow(50)))} ` +
        '(the model reads the last 50 events, so window 20 scores 20-event histories and 50 and 200 score 50)',
    );
    const bytes = window50.redis;
    if (bytes) {
      const note = throughputNote(window50.throughput);
      if (note !== '') console.log(`window 50 run incomplete (${note}): users had fewer events than planned`);
      console.log(
        `Redis per user at window 50: ${fmtRate(bytes.memoryUsagePerUser)} bytes (MEMORY USAGE of ${bytes.keys.toLocaleString('en-US')} keys), ` +
          `${fmtRate(bytes.usedMemoryPerUser)} bytes (used_memory after - before; the Redis is shared, so noisy)`,
      );
    }
    const mode = (outcome: ModeOutcome) => ({
      eventsPerSec: outcome.throughput.eventsPerSec,
      p50Ms: outcome.latency.p50Ms,
      p95Ms: outcome.latency.p95Ms,
      p99Ms: outcome.latency.p99Ms,
      offeredPerSec: outcome.latency.offeredPerSec,
    });
    const summary: E2eSummary = {
      passthrough: mode(passthrough),
      naive: mode(naive),
      seqscore: mode(seqscore),
      window20: { eventsPerSec: window20 },
      window200: { eventsPerSec: window200 },
      // Users with part of their events would understate it.
      redisBytesPerUser:
        window50.throughput.measured === window50.throughput.expected
          ? (bytes?.memoryUsagePerUser ?? Number.NaN)
          : Number.NaN,
    };
    if (options.json) console.log(summaryJson(summary));
    rmSync(workDir, { recursive: true, force: true });
  } catch (error) {
    log(`worker logs are in ${workDir}`);
    throw error;
  } finally {
    log('deleting the bench topics and Redis keys ...');
    await cleanUp(kafka, redis).catch((error: Error) => log(`clean-up failed: ${error.message}`));
    redis.disconnect();
    if (stack.started.length > 0)
      await stackDown({ services: stack.started, onProgress: (line) => log(`stack: ${line}`) });
  }
}

await main();
