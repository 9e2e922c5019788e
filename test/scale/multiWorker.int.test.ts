import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatTable } from '../faults/figures.js';
import {
  cleanUp,
  faultTest,
  prepareStream,
  produceAll,
  type StackTarget,
  verify,
  WorkerProcess,
} from '../faults/harness.js';
import { waitFor } from '../helpers/integration.js';

/**
 * Scaling out: 1, 2 and 3 `seqscore worker` processes in one consumer group on a 6-partition topic
 * of the shared local broker. Each run starts with a backlog; the second and third workers are
 * started while the first is consuming it, so each run goes through rebalances under load. The
 * figures are printed, not asserted: on a small machine the workers share cores with the broker
 * and Redis. What is asserted is that no event is lost or scored twice.
 */

const PUBLISHED = 'seqscore_scores_published_total';
const REPUBLISHED = 'seqscore_events_duplicate_total';
const PARTITIONS = 6;
const EVENTS = 30_000;
/** The share of the backlog that must be left once all workers are in, for their rate to be shown. */
const STEADY_MIN = 0.2;

const workDir = mkdtempSync(join(tmpdir(), 'seqscore-scale-'));
const shared: StackTarget = {
  env: Object.fromEntries(
    ['KAFKA_BROKERS', 'REDIS_URL']
      .filter((name) => process.env[name])
      .map((name) => [name, process.env[name] as string]),
  ),
  workDir,
  figuresFile: join(workDir, 'figures.jsonl'),
};

interface ScaleRow {
  workers: number;
  events: number;
  /**
   * Scores per second from the moment every worker was in the group until the backlog was done; none
   * when too little of the backlog was left by then to measure.
   */
  steadyPerSecond: string;
  /** Valid events over the time from the first worker's start until the backlog was done. */
  overallPerSecond: number;
  rebalances: number;
  lost: number;
  /** Events scored twice: a second, different score, or a window that took an event twice. */
  scoredTwice: number;
  /** Score messages beyond the first for an event. */
  duplicates: number;
  /** Identical score messages published again for replayed input (at-least-once; readers dedupe by eventId). */
  republished: number;
}

const COLUMNS: [keyof ScaleRow, string][] = [
  ['workers', 'workers'],
  ['events', 'valid events'],
  ['steadyPerSecond', 'events/s, all workers in'],
  ['overallPerSecond', 'events/s, whole run'],
  ['rebalances', 'group joins'],
  ['lost', 'lost'],
  ['scoredTwice', 'scored twice'],
  ['duplicates', 'duplicates'],
  ['republished', 'republished'],
];

const rows: ScaleRow[] = [];
const joins = (worker: WorkerProcess) => worker.log().split('"msg":"joined consumer group"').length - 1;

async function run(workers: number): Promise<ScaleRow> {
  const test = await faultTest(
    `scale-${workers}`,
    // One group member per process, so that the rows compare 1, 2 and 3 members.
    {
      SEQSCORE_TOPIC_PARTITIONS: String(PARTITIONS),
      SEQSCORE_LOG_LEVEL: 'info',
      SEQSCORE_WORKER_THREADS: '1',
    },
    shared,
  );
  const { messages, expected, scores, deadLetters } = await prepareStream(test, {
    events: EVENTS,
    users: 1_500,
    seed: 90 + workers,
    outOfOrderEvery: 41,
    lateEvery: 997,
    invalidEvery: 499,
  });
  try {
    await produceAll(test.kafka, test.config.topics.input, messages, { chunk: 2_000 });
    const startedAt = Date.now();
    const first = await WorkerProcess.start(test, 'w1');
    // The others start as soon as the first is consuming; their joins revoke and reassign its partitions.
    await first.waitForMetric(PUBLISHED, 0, 120_000);
    const others = await Promise.all(
      Array.from({ length: workers - 1 }, (_, i) => WorkerProcess.start(test, `w${i + 2}`)),
    );
    const group = [first, ...others];
    // In the group, not necessarily publishing: on a fast machine the backlog may be gone by then.
    await waitFor(
      () => others.every((worker) => joins(worker) > 0),
      120_000,
      'every worker to join the group',
    );
    const allIn = { at: Date.now(), count: scores.count };
    await waitFor(
      () => [...expected.scored].every((eventId) => scores.entries.has(eventId)),
      180_000,
      `scores of all ${expected.scored.size} valid events`,
    );
    const doneAt = Date.now();
    const steadyCount = scores.count - allIn.count;
    const figures = await verify(test, expected, {
      scores,
      deadLetters,
      sent: messages.length,
      recoverySeconds: 0,
      note: `${workers} worker(s), ${PARTITIONS} partitions`,
      catchUpMs: 60_000,
    });
    let republished = 0;
    for (const worker of group) republished += (await worker.metric(REPUBLISHED)) ?? 0;
    const row: ScaleRow = {
      workers,
      events: expected.scored.size,
      steadyPerSecond:
        steadyCount >= STEADY_MIN * expected.scored.size
          ? String(Math.round(steadyCount / ((doneAt - allIn.at) / 1000)))
          : `- (${steadyCount} left)`,
      overallPerSecond: Math.round(expected.scored.size / ((doneAt - startedAt) / 1000)),
      rebalances: group.reduce((sum, worker) => sum + joins(worker), 0),
      lost: figures.eventsLost,
      scoredTwice: figures.scoresChanged + figures.windowsDiffering,
      duplicates: scores.count - scores.entries.size,
      republished,
    };
    for (const worker of group) worker.signal('SIGTERM');
    for (const worker of group) expect((await worker.exited).code).toBe(0);
    return row;
  } finally {
    await cleanUp(test, scores, deadLetters);
  }
}

describe('workers in one group on a 6-partition topic', () => {
  afterAll(() => {
    if (rows.length > 0)
      console.log(`\nscaling out (${PARTITIONS} partitions)\n${formatTable(COLUMNS, rows)}\n`);
    rmSync(workDir, { recursive: true, force: true });
  });

  for (const workers of [1, 2, 3]) {
    it(`${workers} worker(s): every event scored once, through the rebalances`, {
      timeout: 240_000,
    }, async () => {
      const row = await run(workers);
      rows.push(row);
      expect(row.lost).toBe(0);
      expect(row.scoredTwice).toBe(0);
      expect(row.duplicates).toBe(0);
      if (workers > 1) expect(row.rebalances).toBeGreaterThan(workers);
    });
  }
});
