import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import type { RetrainOutcome } from '../../src/retrain/retrainRun.js';
import { type RetrainProcessor, type RunningTrainer, startTrainer } from '../../src/retrain/trainer.js';
import { integrationConfig, waitFor } from '../helpers/integration.js';

const EVERY_MS = 1_500;

const outcome: RetrainOutcome = {
  result: 'rejected',
  version: 'v',
  champion: null,
  reason: 'test',
  trainingEvents: 0,
  metrics: {},
  championMetrics: {},
};

describe('retraining scheduler on the real local Redis', () => {
  let trainer: RunningTrainer | undefined;

  afterEach(async () => {
    // The schedule lives in Redis: leave none behind for a trainer that will never come.
    await trainer?.queue.obliterate({ force: true });
    await trainer?.stop();
  });

  it('fires at its interval, and a restarted trainer neither duplicates its scheduler nor its runs', async () => {
    const config = integrationConfig('sched', { SEQSCORE_RETRAIN_EVERY: `${EVERY_MS}ms` });
    const logger = createLogger('warn');
    const runs: { id: string; startedAt: number }[] = [];
    const run: RetrainProcessor = async (job) => {
      runs.push({ id: job.id as string, startedAt: Date.now() });
      return outcome;
    };

    trainer = await startTrainer(config, logger, run);
    await waitFor(() => runs.length >= 3, 20_000, 'three scheduled runs');
    await trainer.stop();
    const beforeRestart = runs.length;
    trainer = await startTrainer(config, logger, run);
    // A second deploy of the same schedule, as a rolling update would do it.
    const second = await startTrainer(config, logger, run);
    const rejectedBy = async (process: typeof second) =>
      (await process.metrics.registry.getSingleMetric('seqscore_retrain_runs_total')?.get())?.values.find(
        (value) => value.labels.result === 'rejected',
      )?.value ?? 0;
    try {
      await waitFor(() => runs.length >= beforeRestart + 3, 20_000, 'three more runs after the restart');
      expect(await trainer.queue.getJobSchedulersCount()).toBe(1);
    } finally {
      await second.stop();
    }

    expect(new Set(runs.map((r) => r.id)).size).toBe(runs.length);
    const gaps = runs.slice(1).map((r, i) => r.startedAt - (runs[i] as { startedAt: number }).startedAt);
    // Each run comes one interval after the last; a duplicate would come at once.
    for (const gap of gaps) expect(gap).toBeGreaterThan(EVERY_MS / 2);
    // Either running trainer may take a run: count both.
    expect((await rejectedBy(trainer)) + (await rejectedBy(second))).toBeGreaterThan(0);
  }, 90_000);
});
