import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import type { KafkaMessage } from 'kafkajs';
import type { BatchStages } from '../src/worker/batchProcessor.js';
import { formatTable } from '../test/faults/figures.js';
import { BENCH_ACTIONS, benchModelFolder } from './e2e/model.js';
import { deleteKeys, usedCpuSeconds } from './e2e/redisUsage.js';
import { fullWindowStream } from './e2e/streams.js';

/**
 * The worker's code comes from its build (dist/), as deployed and as bench:e2e runs it (`npm run
 * bench:window` builds first), with its types from the sources. From source, tsx's transform added
 * work of its own (it names closures), and its output is one line a file, so a CPU profile of this
 * benchmark could not say which line of a function its time went to.
 */
const fromBuild = <Module>(path: string): Promise<Module> => import(`../dist/${path}`);
const [
  { loadConfig },
  { ActionVocabulary },
  { createDecoder },
  { fnv1a },
  { WindowStore, windowOptions },
  { createMetrics },
  { initBackend },
  { processBatch },
  { loadCheckedModel },
] = await Promise.all([
  fromBuild<typeof import('../src/config.js')>('config.js'),
  fromBuild<typeof import('../src/events/actionVocabulary.js')>('events/actionVocabulary.js'),
  fromBuild<typeof import('../src/events/decoder.js')>('events/decoder.js'),
  fromBuild<typeof import('../src/features/idVocabulary.js')>('features/idVocabulary.js'),
  fromBuild<typeof import('../src/features/windowStore.js')>('features/windowStore.js'),
  fromBuild<typeof import('../src/metrics/metrics.js')>('metrics/metrics.js'),
  fromBuild<typeof import('../src/model/backend.js')>('model/backend.js'),
  fromBuild<typeof import('../src/worker/batchProcessor.js')>('worker/batchProcessor.js'),
  fromBuild<typeof import('../src/worker/modelSwitch.js')>('worker/modelSwitch.js'),
]);

const USAGE = `usage: npm run bench:window -- [--windows 20,50,200] [--users N] [--runs N] [--batch N]

What one event costs the worker at each window size, without Kafka: the events of users that
already have 200 go through processBatch (decode, the window store against the local stack's Redis,
incremental scoring with top-K items, the score messages) in one thread, in micro-batches of
--batch (default 500, SEQSCORE_MAX_BATCH's default) from six partitions in turn, as a backlog fetch
hands them out. A paced load hands out small ones: --batch 50 shows what a micro-batch costs beyond
its events. It measures the worker's CPU time
(process.cpuUsage), Redis's (INFO), and the wall time per event; each window runs --runs times, in
an order reversed every run so that a drift in the machine's speed weighs on every window alike.
The worker's code runs from its build, which the npm script makes first. The model is bench:e2e's
untrained one, reading the last 50 events. Start the stack first
(\`npx seqscore stack up\`).`;

const { values } = parseArgs({
  options: {
    windows: { type: 'string', default: '20,50,200' },
    // 1,000 users in six partitions: about three events per user in a micro-batch, as in bench:e2e's window runs.
    users: { type: 'string', default: '1000' },
    runs: { type: 'string', default: '2' },
    batch: { type: 'string', default: '500' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const windows = values.windows.split(',').map(Number);
const PARTITIONS = 6;
const MAX_BATCH = Number(values.batch);
if (!Number.isInteger(MAX_BATCH) || MAX_BATCH < 1) {
  console.error(`--batch must be a whole number of events, at least 1 (got ${values.batch})\n\n${USAGE}`);
  process.exit(2);
}
const FULL_AFTER = 200;

const config = loadConfig();
const modelRoot = mkdtempSync(join(tmpdir(), 'seqscore-window-cost-'));
const folder = await benchModelFolder(modelRoot, 50);
await initBackend(config.model.backend, 'streaming');
const { scorer } = await loadCheckedModel(folder, {
  actions: BENCH_ACTIONS,
  topK: config.model.topK,
  exploreCandidates: config.model.exploreCandidates,
});
const redis = new Redis(config.redis.url);
const actions = new ActionVocabulary(config.events.actions, config.events.aliases);
const decode = createDecoder({
  vocabulary: actions,
  maxBytes: config.events.maxBytes,
  // The synthetic events are dated in the past; the skew check is not what is measured.
  maxFutureSkewMs: Number.POSITIVE_INFINITY,
});

/**
 * Each partition's messages packed into one buffer: the benchmark's own heap stays small, so that
 * its garbage collections do not weigh on what it measures.
 */
interface Partition {
  values: Buffer;
  keys: Buffer;
  valueEnds: Int32Array;
  keyEnds: Int32Array;
  measured: Uint8Array;
}

function partitions(): Partition[] {
  const stream = fullWindowStream(Number(values.users), FULL_AFTER, 23);
  const parts = Array.from({ length: PARTITIONS }, () => ({
    values: [] as Buffer[],
    keys: [] as Buffer[],
    measured: [] as number[],
  }));
  for (const message of stream.messages) {
    const part = parts[fnv1a(message.key) % PARTITIONS] as (typeof parts)[number];
    part.values.push(Buffer.from(message.value));
    part.keys.push(Buffer.from(message.key));
    part.measured.push(stream.measured.has(message.eventId) ? 1 : 0);
  }
  const ends = (buffers: Buffer[]) => {
    const out = new Int32Array(buffers.length);
    buffers.reduce((end, buffer, i) => {
      out[i] = end + buffer.length;
      return end + buffer.length;
    }, 0);
    return out;
  };
  return parts.map((part) => ({
    values: Buffer.concat(part.values),
    keys: Buffer.concat(part.keys),
    valueEnds: ends(part.values),
    keyEnds: ends(part.keys),
    measured: Uint8Array.from(part.measured),
  }));
}

function messages(part: Partition, from: number, to: number): KafkaMessage[] {
  const out: KafkaMessage[] = [];
  for (let i = from; i < to; i++) {
    out.push({
      key: part.keys.subarray(part.keyEnds[i - 1] ?? 0, part.keyEnds[i]),
      value: part.values.subarray(part.valueEnds[i - 1] ?? 0, part.valueEnds[i]),
      offset: String(i),
      timestamp: String(Date.now()),
      attributes: 0,
      headers: {},
    } as KafkaMessage);
  }
  return out;
}

async function redisCpuSeconds(): Promise<number> {
  return usedCpuSeconds(await redis.info('cpu'));
}

interface Cost {
  window: number;
  run: number;
  events: number;
  workerMicros: number;
  redisMicros: number;
  wallMicros: number;
}

async function measure(parts: Partition[], window: number, run: number): Promise<Cost> {
  const keyPrefix = `${config.redis.keyPrefix}-window-cost-${window}-${run}-${process.pid}`;
  const store = new WindowStore(redis, { ...windowOptions(config), size: window, keyPrefix });
  const stages: BatchStages = {
    decode,
    userId: (userId) => userId,
    windows: store,
    scorer: () => scorer,
    actions: actions.actions,
    publisher: { publish: async () => {} },
    metrics: createMetrics({ processMetrics: false }),
    clock: Date.now,
  };
  const cursors = parts.map(() => 0);
  const cost = { window, run, events: 0, workerMicros: 0, redisMicros: 0, wallMicros: 0 };
  for (let busy = true; busy; ) {
    busy = false;
    for (const [p, part] of parts.entries()) {
      const from = cursors[p] as number;
      const to = Math.min(from + MAX_BATCH, part.measured.length);
      if (from >= to) continue;
      busy = true;
      cursors[p] = to;
      // Measured once most of the batch's events have a user with a full window.
      const measured =
        part.measured.subarray(from, to).reduce((sum, flag) => sum + flag, 0) > (to - from) / 2;
      const redisBefore = measured ? await redisCpuSeconds() : 0;
      const cpuBefore = process.cpuUsage();
      const startedAt = performance.now();
      await processBatch(
        [{ messages: messages(part, from, to), source: { topic: 'bench', partition: p } }],
        stages,
      );
      if (!measured) continue;
      const cpu = process.cpuUsage(cpuBefore);
      cost.wallMicros += (performance.now() - startedAt) * 1000;
      cost.workerMicros += cpu.user + cpu.system;
      cost.redisMicros += ((await redisCpuSeconds()) - redisBefore) * 1e6;
      cost.events += to - from;
    }
  }
  await store.dropPublished();
  await deleteKeys(redis, `${keyPrefix}:`);
  return cost;
}

const perEvent = (total: number, events: number) => (total / events).toFixed(1);
try {
  const parts = partitions();
  const costs: Cost[] = [];
  for (let run = 1; run <= Number(values.runs); run++) {
    for (const window of run % 2 === 1 ? windows : [...windows].reverse()) {
      costs.push(await measure(parts, window, run));
    }
  }
  const rows = costs.map((cost) => ({
    window: String(cost.window),
    run: String(cost.run),
    events: String(cost.events),
    worker: perEvent(cost.workerMicros, cost.events),
    redis: perEvent(cost.redisMicros, cost.events),
    wall: perEvent(cost.wallMicros, cost.events),
  }));
  const pooled = windows.map((window) => {
    const runs = costs.filter((cost) => cost.window === window);
    const sum = (pick: (cost: Cost) => number) => runs.reduce((total, cost) => total + pick(cost), 0);
    const events = sum((cost) => cost.events);
    return {
      window: String(window),
      run: 'all',
      events: String(events),
      worker: perEvent(
        sum((cost) => cost.workerMicros),
        events,
      ),
      redis: perEvent(
        sum((cost) => cost.redisMicros),
        events,
      ),
      wall: perEvent(
        sum((cost) => cost.wallMicros),
        events,
      ),
    };
  });
  console.log(
    formatTable(
      [
        ['window', 'window'],
        ['run', 'run'],
        ['events', 'events measured'],
        ['worker', 'worker CPU µs/event'],
        ['redis', 'Redis CPU µs/event'],
        ['wall', 'wall µs/event'],
      ],
      [...rows, ...pooled],
    ),
  );
  const wallOf = (window: number) => Number(pooled.find((row) => row.window === String(window))?.wall);
  const [smallest, largest] = [Math.min(...windows), Math.max(...windows)];
  console.log(
    `\nwindow ${largest} / window ${smallest}, events per second of wall time: ${(wallOf(smallest) / wallOf(largest)).toFixed(2)}`,
  );
} finally {
  redis.disconnect();
  scorer.dispose();
  rmSync(modelRoot, { recursive: true, force: true });
}
