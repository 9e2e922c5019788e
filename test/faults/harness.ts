import { type ChildProcess, spawn } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { basename, join } from 'node:path';
import { Redis } from 'ioredis';
import { type Consumer, type Kafka, type Message, Partitioners } from 'kafkajs';
import { expect, inject, onTestFailed } from 'vitest';
import { type Config, loadConfig } from '../../src/config.js';
import { ActionVocabulary } from '../../src/events/actionVocabulary.js';
import { createDecoder } from '../../src/events/decoder.js';
import { toMessage, type UserEvent } from '../../src/events/event.js';
import { syntheticEvents } from '../../src/events/synthetic.js';
import { userIdMapper } from '../../src/events/userIds.js';
import { WindowStore, windowOptions } from '../../src/features/windowStore.js';
import { createKafka, ensureTopics } from '../../src/infra/kafka.js';
import { redisConnectionOptions } from '../../src/infra/redis.js';
import { DEAD_LETTER_HEADERS } from '../../src/sinks/deadLetter.js';
import { stackDown, stackUp } from '../../src/stack/index.js';
import type { ServiceName } from '../../src/stack/types.js';
import { WORKER_NODE_FLAGS } from '../../src/worker/nodeFlags.js';
import { uniqueName, untrainedModelFolder, waitFor } from '../helpers/integration.js';
import type { FaultStack } from './faultStackSetup.js';
import { type FaultFigures, reportFigures } from './figures.js';
import { freePort } from './ports.js';

/**
 * Shared machinery of the fault tests: workers as real child processes, a synthetic input stream
 * with bad, late and out-of-order events mixed in, collectors for the output topics, and the
 * checks against a clean replay of the same stream.
 */

const REPO = join(import.meta.dirname, '..', '..');
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function faultStack(): FaultStack {
  return inject('faultStack');
}

/** Restarts one service of the fault stack; resolves once it answers again. */
export async function restartService(
  stack: FaultStack,
  service: ServiceName,
  downMs: number,
): Promise<{ stoppedAt: number; backAt: number }> {
  const options = { stateDir: stack.stateDir, env: { ...process.env, ...stack.env } };
  const stoppedAt = Date.now();
  await stackDown({ ...options, services: [service] });
  await sleep(downMs);
  await stackUp(options);
  return { stoppedAt, backAt: Date.now() };
}

/**
 * Where a test's workers run: the fault stack by default; the scale tests pass the shared stack.
 * `env` names its Kafka and Redis, `workDir` takes the logs, `figuresFile` collects the figures.
 */
export type StackTarget = Pick<FaultStack, 'env' | 'workDir' | 'figuresFile'>;

export interface FaultTest {
  label: string;
  target: StackTarget;
  /** Environment of this test's workers: the fault stack, and topics, group and key prefix of its own. */
  env: Record<string, string>;
  config: Config;
  kafka: Kafka;
  redis: Redis;
  /** Logs of the workers this test started, printed in digest if it fails. */
  logFiles: string[];
}

let modelDir: Promise<string> | undefined;

export async function faultTest(
  label: string,
  extra: Record<string, string> = {},
  stack: StackTarget = faultStack(),
): Promise<FaultTest> {
  modelDir ??= untrainedModelFolder(['view', 'cart', 'fav', 'purchase']);
  const name = uniqueName(label);
  const env: Record<string, string> = {
    ...stack.env,
    SEQSCORE_INPUT_TOPIC: `${name}-events`,
    SEQSCORE_OUTPUT_TOPIC: `${name}-scores`,
    SEQSCORE_GROUP_ID: `${name}-group`,
    SEQSCORE_REDIS_PREFIX: name,
    SEQSCORE_TOPIC_PARTITIONS: '4',
    SEQSCORE_MODEL_DIR: await modelDir,
    SEQSCORE_SESSION_TIMEOUT: '10s',
    SEQSCORE_HEARTBEAT_INTERVAL: '1s',
    SEQSCORE_RETRY_BACKOFF_MAX: '2s',
    SEQSCORE_REDIS_COMMAND_TIMEOUT: '3s',
    SEQSCORE_FETCH_MAX_BYTES: String(1024 * 1024),
    SEQSCORE_TF_BACKEND: 'wasm',
    SEQSCORE_LOG_LEVEL: 'info',
    SEQSCORE_METRICS_HOST: '127.0.0.1',
    ...extra,
  };
  const config = loadConfig(env);
  const kafka = createKafka(config.kafka, { clientId: `${label}-test` });
  const redis = new Redis(config.redis.url, {
    ...redisConnectionOptions(config.redis),
    maxRetriesPerRequest: null,
  });
  redis.on('error', () => undefined);
  await ensureTopics(
    kafka,
    [config.topics.input, config.topics.output, config.topics.deadLetter].map((topic) => ({
      topic,
      partitions: config.topics.partitions,
    })),
  );
  const test: FaultTest = { label, target: stack, env, config, kafka, redis, logFiles: [] };
  onTestFailed(() => printFailureDigest(test));
  return test;
}

const DIGEST_LINES = 60;
const KAFKAJS_STATE_CHANGES = /pausing|resuming|starting|stopped|restarting|re-joining|rebalanc/i;
/** What kafkajs repeats for every attempt while a broker is down: the outage itself is in the test's note. */
const KAFKAJS_OUTAGE_NOISE = /ECONNREFUSED|Failed to connect to seed broker/;

/** One worker log line, if it says something about the pipeline's state: warnings, errors, group changes. */
function digestLine(line: string): { at: string; text: string } | undefined {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line.trim() === '' ? undefined : { at: '', text: line.slice(0, 300) };
  }
  const level = Number(entry.level);
  const msg = String(entry.msg ?? '');
  if (entry.component === 'kafkajs' && KAFKAJS_OUTAGE_NOISE.test(msg)) return undefined;
  const kept =
    level >= 40 ||
    entry.component === 'consumer' ||
    (entry.component === 'kafkajs' && KAFKAJS_STATE_CHANGES.test(msg)) ||
    (entry.component === undefined && level >= 30);
  if (!kept) return undefined;
  const error = entry.error as { message?: unknown } | string | undefined;
  const details = {
    partition: entry.partition,
    partitions: entry.partitions ?? entry.topicPartitions,
    assignment: entry.assignment,
    committed: entry.committed,
    error: typeof error === 'object' ? error?.message : error,
  };
  return {
    at: new Date(Number(entry.time)).toISOString().slice(11, 23),
    text: `t${entry.thread ?? '-'} ${level} ${msg} ${JSON.stringify(details)}`,
  };
}

/**
 * What a reader of a CI log needs when a fault test fails: where each input partition stands
 * against its end, and the workers' own account (warnings, errors, group changes), repeats folded.
 */
async function printFailureDigest(test: FaultTest): Promise<void> {
  const out = [`--- ${test.label}: input partitions, committed / end offset ---`];
  try {
    const admin = test.kafka.admin();
    await admin.connect();
    try {
      const ends = await admin.fetchTopicOffsets(test.config.topics.input);
      const committed = await committedByPartition(test);
      for (const { partition, high } of ends.sort((a, b) => a.partition - b.partition))
        out.push(`partition ${partition}: ${committed.get(partition) ?? '-'} / ${high}`);
    } finally {
      await admin.disconnect();
    }
  } catch (error) {
    out.push(`offsets unavailable: ${(error as Error).message}`);
  }
  for (const file of test.logFiles) {
    // Consecutive lines alike but for their time are folded into the first, with a count.
    const lines: { at: string; text: string; count: number }[] = [];
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const digest = digestLine(line);
      if (digest === undefined) continue;
      const previous = lines.at(-1);
      if (previous?.text === digest.text) previous.count++;
      else lines.push({ ...digest, count: 1 });
    }
    out.push(
      `--- ${basename(file)}: last ${DIGEST_LINES} of ${lines.length} digest lines ---`,
      ...lines
        .slice(-DIGEST_LINES)
        .map(({ at, text, count }) => `${at} ${text}${count > 1 ? ` (x${count})` : ''}`.slice(0, 300)),
    );
  }
  console.log(out.join('\n'));
}

/** Every worker a test started and that has not exited: a failed test must not leave one running. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** `seqscore worker` as a real child process, with its metrics endpoint and its log in a file. */
export class WorkerProcess {
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;

  private constructor(
    private readonly child: ChildProcess,
    readonly metricsPort: number,
    readonly logFile: string,
  ) {
    running.add(child);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        running.delete(child);
        resolve({ code, signal, at: Date.now() });
      });
    });
  }

  static async start(test: FaultTest, name: string): Promise<WorkerProcess> {
    const metricsPort = await freePort();
    const logFile = join(test.target.workDir, `${test.label}-${name}.log`);
    test.logFiles.push(logFile);
    const log = openSync(logFile, 'a');
    // `node --import tsx` rather than the tsx binary: a signal must reach the worker itself, not a
    // wrapper. With the flags the worker ships with, so the faults hit the runtime that is deployed.
    const args = [...WORKER_NODE_FLAGS, '--import', 'tsx', 'src/cli/index.ts', 'worker'];
    const child = spawn(process.execPath, args, {
      cwd: REPO,
      env: { ...process.env, ...test.env, SEQSCORE_METRICS_PORT: String(metricsPort) },
      stdio: ['ignore', log, log],
    });
    return new WorkerProcess(child, metricsPort, logFile);
  }

  get pid(): number {
    return this.child.pid as number;
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** The sum of a metric over all its label sets, or undefined while the endpoint does not answer. */
  async metric(name: string): Promise<number | undefined> {
    try {
      const response = await fetch(`http://127.0.0.1:${this.metricsPort}/metrics`);
      const text = await response.text();
      let sum = 0;
      for (const line of text.split('\n')) {
        if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) sum += Number(line.split(' ').at(-1));
      }
      return sum;
    } catch {
      return undefined;
    }
  }

  async waitReady(timeoutMs = 120_000): Promise<void> {
    await waitFor(
      async () => {
        try {
          return (await fetch(`http://127.0.0.1:${this.metricsPort}/readyz`)).ok;
        } catch {
          return false;
        }
      },
      timeoutMs,
      `worker ${this.pid} to be ready (log: ${this.logFile})`,
    );
  }

  /** Waits until `metric` exceeds `above`; resolves with the time it did. */
  async waitForMetric(name: string, above: number, timeoutMs: number): Promise<number> {
    await waitFor(async () => ((await this.metric(name)) ?? -1) > above, timeoutMs, `${name} > ${above}`);
    return Date.now();
  }

  log(): string {
    return readFileSync(this.logFile, 'utf8');
  }
}

/** Runs another `seqscore` command with the test's environment; resolves with its exit code and output. */
export function runCli(test: FaultTest, args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', ...args], {
      cwd: REPO,
      env: { ...process.env, ...test.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
  });
}

export interface StreamOptions {
  events: number;
  users: number;
  seed: number;
  /** Every n-th event is moved up to ten minutes back in time (within the lateness bound). */
  outOfOrderEvery: number;
  /** Every n-th event is moved two days back (too late, unless it is the user's first). */
  lateEvery: number;
  /** After every n-th event comes a malformed message. */
  invalidEvery: number;
}

/** Put in some events' attributes: it must never appear in a log. */
export const PAYLOAD_MARKER = 'payload-marker-7f3a';

/**
 * A synthetic stream (users of uneven activity, events in time order) with faults of the input
 * mixed in: malformed messages of several kinds, events out of order, events far too late.
 */
export function buildStream(options: StreamOptions): Message[] {
  const messages: Message[] = [];
  const badKinds = [
    (n: number) => ({ key: 'u1', value: `{"eventId": "bad-${n}"` }),
    (n: number) => ({
      key: null,
      value: Buffer.concat([Buffer.from([0x7b, 0xff, 0xfe]), Buffer.from(String(n))]),
    }),
    (n: number) => ({
      key: 'u2',
      value: JSON.stringify({
        eventId: `bad-${n}`,
        userId: 'u2',
        action: 'teleport',
        itemId: 'i',
        ts: 1.6e12,
      }),
    }),
    (n: number) => ({
      key: 'u3',
      value: JSON.stringify({ eventId: `bad-${n}`, userId: 'u3', action: 'view', ts: 1.6e12 }),
    }),
    (n: number) => ({
      key: 'u4',
      value: JSON.stringify({ eventId: `bad-${n}`, userId: 'u4', itemId: 'i', action: 'view', ts: 9e15 }),
    }),
    (n: number) => ({
      key: 'u5',
      value: JSON.stringify({ eventId: `bad-${n}`, userId: 'u6', itemId: 'i', action: 'view', ts: 1.6e12 }),
    }),
  ];
  let n = 0;
  for (const generated of syntheticEvents({
    events: options.events,
    users: options.users,
    seed: options.seed,
  })) {
    n++;
    const event: UserEvent = { ...generated };
    if (n % options.outOfOrderEvery === 0) event.tsMs -= 1_000 * (1 + ((n * 7919) % 600));
    if (n % options.lateEvery === 0) event.tsMs -= 2 * 86_400_000;
    if (n % 101 === 0) event.attrs = { note: PAYLOAD_MARKER };
    messages.push({ key: event.userId, value: JSON.stringify(toMessage(event)) });
    if (n % options.invalidEvery === 0)
      messages.push((badKinds[n % badKinds.length] as (n: number) => Message)(n));
  }
  return messages;
}

/**
 * Produces messages in order, at a given rate if any, retrying through broker restarts. The producer
 * is idempotent, so its retries never duplicate input.
 */
export async function produceAll(
  kafka: Kafka,
  topic: string,
  messages: readonly Message[],
  {
    ratePerSecond,
    chunk = 500,
    onProgress,
  }: { ratePerSecond?: number; chunk?: number; onProgress?: (sent: number) => void } = {},
): Promise<void> {
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  const startedAt = Date.now();
  try {
    for (let start = 0; start < messages.length; start += chunk) {
      if (ratePerSecond) {
        const wait = startedAt + (start / ratePerSecond) * 1000 - Date.now();
        if (wait > 0) await sleep(wait);
      }
      await producer.send({ topic, acks: -1, messages: messages.slice(start, start + chunk) });
      onProgress?.(Math.min(messages.length, start + chunk));
    }
  } finally {
    await producer.disconnect();
  }
}

type KafkaRecord = { value: Buffer | null; headers?: Record<string, unknown> };

/** A score message is indexed by its eventId; the set holds each distinct message seen for it. */
export const byEventId = (record: KafkaRecord): [string, string] => {
  const text = record.value?.toString('utf8') ?? '';
  return [(JSON.parse(text) as { eventId: string }).eventId, text];
};

/** A dead letter is indexed by its original bytes, with the reason it was rejected for. */
export const byOriginalValue = (record: KafkaRecord): [string, string] => [
  record.value?.toString('latin1') ?? '',
  String(record.headers?.[DEAD_LETTER_HEADERS.reason] ?? ''),
];

/** Reads a topic from the start, for as long as the test runs, surviving broker restarts. */
export class TopicCollector {
  /** Messages received, duplicates included. */
  count = 0;
  readonly entries = new Map<string, Set<string>>();

  private constructor(private readonly consumer: Consumer) {}

  static async start(
    kafka: Kafka,
    topic: string,
    index: (record: KafkaRecord) => [string, string],
  ): Promise<TopicCollector> {
    const consumer = kafka.consumer({
      groupId: uniqueName('collector'),
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
      retry: { retries: 30 },
    });
    const collector = new TopicCollector(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const [key, value] = index(message);
        collector.count++;
        const seen = collector.entries.get(key) ?? new Set<string>();
        seen.add(value);
        collector.entries.set(key, seen);
      },
    });
    return collector;
  }

  stop(): Promise<void> {
    return this.consumer.disconnect();
  }
}

export interface Expected {
  /** eventIds a clean replay scores. */
  scored: Set<string>;
  /** Messages a clean replay dead-letters (invalid or too late), by their value. */
  deadLetters: Set<string>;
  users: Set<string>;
  /** Key prefix under which the clean replay's windows are. */
  prefix: string;
}

/**
 * Replays the stream without any fault, straight through the decoder and the window store into a
 * key prefix of its own: what the worker's Redis state must equal once it has caught up.
 */
export async function cleanReplay(test: FaultTest, messages: readonly Message[]): Promise<Expected> {
  const { config } = test;
  const decode = createDecoder({
    vocabulary: new ActionVocabulary(config.events.actions, config.events.aliases),
    maxBytes: config.events.maxBytes,
    maxFutureSkewMs: config.events.maxFutureSkewMs,
  });
  const prefix = `${config.redis.keyPrefix}-clean`;
  const windows = new WindowStore(test.redis, { ...windowOptions(config), keyPrefix: prefix });
  const pseudonym = userIdMapper(config.userIdKey);
  const expected: Expected = { scored: new Set(), deadLetters: new Set(), users: new Set(), prefix };
  const valid: { event: UserEvent; value: string }[] = [];
  for (const message of messages) {
    const value = Buffer.isBuffer(message.value) ? message.value : Buffer.from(String(message.value));
    const key = message.key === null || message.key === undefined ? null : Buffer.from(String(message.key));
    const result = decode(value, key);
    if (result.ok)
      valid.push({
        event: { ...result.event, userId: pseudonym(result.event.userId) },
        value: value.toString('utf8'),
      });
    else expected.deadLetters.add(value.toString('latin1'));
  }
  for (let start = 0; start < valid.length; start += 2_000) {
    const chunk = valid.slice(start, start + 2_000);
    const outcomes = await windows.apply(
      chunk.map(({ event }, i) => ({ event, offset: String(start + i), source: 'clean:0' })),
      (users) =>
        users.map((user) => ({ modelState: null, outcomes: user.events.map(() => Buffer.from('clean')) })),
    );
    outcomes.forEach((outcome, i) => {
      const { event, value } = chunk[i] as (typeof chunk)[number];
      expected.users.add(event.userId);
      if (outcome.status === 'late') expected.deadLetters.add(Buffer.from(value).toString('latin1'));
      else expected.scored.add(event.eventId);
    });
  }
  return expected;
}

/** Users whose window under the test's prefix differs from the clean replay's. */

/**
 * The start of every scenario: a synthetic stream, what a clean replay of it must give, and
 * collectors on the score and dead-letter topics (kafkajs reads read_committed, so aborted
 * transactions stay invisible to them).
 */
export async function prepareStream(test: FaultTest, options: StreamOptions) {
  const messages = buildStream(options);
  const expected = await cleanReplay(test, messages);
  const scores = await TopicCollector.start(test.kafka, test.config.topics.output, byEventId);
  const deadLetters = await TopicCollector.start(test.kafka, test.config.topics.deadLetter, byOriginalValue);
  return { messages, expected, scores, deadLetters };
}

export async function differingWindows(test: FaultTest, expected: Expected): Promise<string[]> {
  const options = windowOptions(test.config);
  const actual = new WindowStore(test.redis, options);
  const clean = new WindowStore(test.redis, { ...options, keyPrefix: expected.prefix });
  const differing: string[] = [];
  for (const user of expected.users) {
    const [mine, theirs] = await Promise.all([actual.read(user), clean.read(user)]);
    if (JSON.stringify(mine) !== JSON.stringify(theirs)) differing.push(user);
  }
  return differing;
}

/** Sum of the committed offsets of the test's consumer group. */
export async function committedOffsets(test: FaultTest): Promise<number> {
  return [...(await committedByPartition(test)).values()].reduce((sum, offset) => sum + offset, 0);
}

export interface Verdict {
  scores: TopicCollector;
  deadLetters: TopicCollector;
  sent: number;
  recoverySeconds: number;
  note?: string;
  /** How long to wait for the worker to catch up after the fault. */
  catchUpMs?: number;
}

/**
 * Waits for the worker to catch up, then measures against the clean replay, prints the figures and
 * asserts the invariants: nothing lost, no window different, no score changed, every bad message
 * dead-lettered, every offset committed.
 */
export async function verify(test: FaultTest, expected: Expected, verdict: Verdict): Promise<FaultFigures> {
  const { scores, deadLetters } = verdict;
  const missing = () => [...expected.scored].filter((eventId) => !scores.entries.has(eventId));
  const undelivered = () => [...expected.deadLetters].filter((value) => !deadLetters.entries.has(value));
  const settled = async () =>
    missing().length === 0 && undelivered().length === 0 && (await committedOffsets(test)) >= verdict.sent;
  // Timing out is not an error here: the figures say what is missing, and the assertions fail on it.
  await waitFor(settled, verdict.catchUpMs ?? 300_000, 'the worker to catch up').catch(() => undefined);
  const figures: FaultFigures = {
    test: test.label,
    eventsSent: verdict.sent,
    scoresReceived: scores.count,
    eventsLost: missing().length,
    windowsDiffering: (await differingWindows(test, expected)).length,
    scoresChanged: [...scores.entries.values()].filter((values) => values.size > 1).length,
    deadLetters: deadLetters.count,
    recoverySeconds: Math.round(verdict.recoverySeconds * 10) / 10,
    note: verdict.note ?? '',
  };
  reportFigures(test.target.figuresFile, figures);
  expect(figures.eventsLost, 'events without a score').toBe(0);
  expect(figures.windowsDiffering, 'windows unlike the clean replay').toBe(0);
  expect(figures.scoresChanged, 'events with differing scores').toBe(0);
  expect(
    [...scores.entries.keys()].filter((eventId) => !expected.scored.has(eventId)),
    'unexpected scores',
  ).toEqual([]);
  expect(undelivered().length, 'missing dead letters').toBe(0);
  for (const reasons of deadLetters.entries.values())
    for (const reason of reasons) expect(reason).not.toBe('');
  expect(await committedOffsets(test), 'committed offsets').toBe(verdict.sent);
  return figures;
}

export async function cleanUp(test: FaultTest, ...collectors: (TopicCollector | undefined)[]): Promise<void> {
  for (const child of running) child.kill('SIGKILL');
  for (const collector of collectors) await collector?.stop();
  let cursor = '0';
  do {
    const [next, keys] = await test.redis.scan(
      cursor,
      'MATCH',
      `${test.config.redis.keyPrefix}*`,
      'COUNT',
      1000,
    );
    if (keys.length > 0) await test.redis.unlink(...keys);
    cursor = next;
  } while (cursor !== '0');
  test.redis.disconnect();
}

/** Polls a worker's metrics while a fault runs and keeps the largest value seen of each. */
export class MetricSampler {
  readonly max = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly worker: WorkerProcess,
    private readonly names: readonly string[],
    intervalMs = 250,
  ) {
    this.timer = setInterval(() => void this.sample(), intervalMs);
  }

  private async sample(): Promise<void> {
    for (const name of this.names) {
      const value = await this.worker.metric(name);
      if (value !== undefined) this.max.set(name, Math.max(this.max.get(name) ?? value, value));
    }
  }

  stop(): Map<string, number> {
    clearInterval(this.timer);
    return this.max;
  }
}

/** Where each input message landed: partition and offset, with the value as sent. */
export interface InputRecord {
  partition: number;
  offset: number;
  value: Buffer;
}

/** Reads the whole input topic back, to tie outcomes to offsets. */
export async function readInput(test: FaultTest, expectedCount: number): Promise<InputRecord[]> {
  const consumer = test.kafka.consumer({ groupId: uniqueName('input-reader') });
  const records: InputRecord[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: test.config.topics.input, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) =>
        void records.push({
          partition,
          offset: Number(message.offset),
          value: message.value ?? Buffer.alloc(0),
        }),
    });
    await waitFor(() => records.length >= expectedCount, 120_000, `${expectedCount} input messages`);
  } finally {
    await consumer.disconnect();
  }
  return records;
}

/** Committed offset of each partition of the test's input topic. */
export async function committedByPartition(test: FaultTest): Promise<Map<number, number>> {
  const admin = test.kafka.admin();
  await admin.connect();
  try {
    const [offsets] = await admin.fetchOffsets({
      groupId: test.config.kafka.groupId,
      topics: [test.config.topics.input],
    });
    return new Map((offsets?.partitions ?? []).map((p) => [p.partition, Math.max(0, Number(p.offset))]));
  } finally {
    await admin.disconnect();
  }
}

/**
 * A TCP proxy on loopback in front of Redis that can delay everything passing through it, to make
 * Redis slow without touching the server.
 */
export class SlowProxy {
  delayMs = 0;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(upstream: { host: string; port: number }): Promise<SlowProxy> {
    let proxy: SlowProxy | undefined;
    const server = createServer((client) => {
      const target = connect(upstream);
      for (const socket of [client, target]) {
        proxy?.sockets.add(socket);
        socket.on('close', () => proxy?.sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      // Chunks leave in the order they came, each no earlier than the delay after its arrival, so a
      // change of delay never reorders the byte stream.
      const relay = (from: Socket, to: Socket) => {
        const queue: { at: number; chunk: Buffer }[] = [];
        let timer: NodeJS.Timeout | undefined;
        const pump = () => {
          timer = undefined;
          while (queue.length > 0 && (queue[0] as (typeof queue)[number]).at <= Date.now()) {
            const { chunk } = queue.shift() as (typeof queue)[number];
            if (to.writable) to.write(chunk);
          }
          if (queue.length > 0)
            timer = setTimeout(pump, (queue[0] as (typeof queue)[number]).at - Date.now());
        };
        from.on('data', (chunk: Buffer) => {
          const last = queue.at(-1)?.at ?? 0;
          queue.push({ at: Math.max(last, Date.now() + (proxy?.delayMs ?? 0)), chunk });
          if (!timer) pump();
        });
      };
      relay(client, target);
      relay(target, client);
      client.on('close', () => target.destroy());
      target.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    proxy = new SlowProxy(server, (server.address() as { port: number }).port);
    return proxy;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
