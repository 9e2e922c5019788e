import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { Partitioners } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { Config } from '../../src/config.js';
import { createKafka } from '../../src/infra/kafka.js';
import { createLogger } from '../../src/logger.js';
import { type RunningWorker, startWorker } from '../../src/worker/worker.js';
import { freePort } from '../faults/ports.js';
import {
  dashboardQueries,
  PROMETHEUS_DIR,
  type PrometheusConfig,
  readDeployYaml,
} from '../helpers/deployFiles.js';
import { integrationConfig, untrainedModelFolder, waitFor } from '../helpers/integration.js';
import { grafanaQueryToPromQL } from '../helpers/promql.js';

const WORKER_JOB = 'seqscore-worker';
const EVENTS = 25;

interface QueryResponse {
  status: 'success' | 'error';
  error?: string;
  data?: { result: { metric: Record<string, string>; value: [number, string] }[] };
}

/**
 * deploy/prometheus/prometheus.yml with its worker job pointed at one worker on loopback, scraped
 * every second, and the deployed alert rules loaded; the trainer job is left out (no trainer runs here).
 */
function scrapeConfigFor(workerPort: number): string {
  const deployed = readDeployYaml<PrometheusConfig>('prometheus/prometheus.yml');
  const worker = deployed.scrape_configs.find((job) => job.job_name === WORKER_JOB);
  if (!worker) throw new Error(`prometheus.yml has no ${WORKER_JOB} job`);
  return stringify({
    ...deployed,
    global: { ...deployed.global, scrape_interval: '1s', evaluation_interval: '1s' },
    rule_files: deployed.rule_files.map((file) => join(PROMETHEUS_DIR, file)),
    scrape_configs: [{ job_name: WORKER_JOB, static_configs: [{ targets: [`127.0.0.1:${workerPort}`] }] }],
  });
}

describe('a real Prometheus scraping a running worker', () => {
  const folder = mkdtempSync(join(tmpdir(), 'seqscore-prometheus-'));
  let config: Config;
  let worker: RunningWorker;
  let prometheus: ChildProcess | undefined;
  let prometheusOutput = '';
  let api: string;

  async function get<T>(path: string): Promise<T> {
    const response = await fetch(`${api}${path}`);
    return (await response.json()) as T;
  }

  async function query(promql: string): Promise<QueryResponse> {
    return get<QueryResponse>(`/api/v1/query?query=${encodeURIComponent(promql)}`);
  }

  async function scalar(promql: string): Promise<number | undefined> {
    const value = (await query(promql)).data?.result[0]?.value[1];
    return value === undefined ? undefined : Number(value);
  }

  beforeAll(async () => {
    const base = integrationConfig('prometheus');
    config = { ...base, model: { ...base.model, dir: await untrainedModelFolder(base.events.actions) } };
    worker = await startWorker(config, createLogger('warn'));
    await waitFor(() => worker.ready(), 60_000, 'the worker to join its group');

    const configFile = join(folder, 'prometheus.yml');
    writeFileSync(configFile, scrapeConfigFor(worker.httpPort));
    const port = await freePort();
    api = `http://127.0.0.1:${port}`;
    prometheus = spawn(
      'prometheus',
      [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${join(folder, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const keepOutput = (chunk: Buffer) => {
      prometheusOutput += chunk.toString();
    };
    prometheus.stdout?.on('data', keepOutput);
    prometheus.stderr?.on('data', keepOutput);
    const started = prometheus;
    const exited = new Promise<never>((_, reject) => {
      started.once('error', (error) =>
        reject(new Error(`prometheus did not start (${error.message}); apt-get install prometheus`)),
      );
      started.once('exit', (code) => reject(new Error(`prometheus exited (${code}):\n${prometheusOutput}`)));
    });
    await Promise.race([
      exited,
      waitFor(
        async () => (await fetch(`${api}/-/ready`).catch(() => undefined))?.ok === true,
        30_000,
        'Prometheus to be ready',
      ),
    ]);
  }, 120_000);

  afterAll(async () => {
    if (prometheus && prometheus.exitCode === null && prometheus.signalCode === null) {
      const running = prometheus;
      const exit = new Promise((resolve) => running.once('exit', resolve));
      running.kill('SIGTERM');
      const killer = setTimeout(() => running.kill('SIGKILL'), 10_000);
      await exit;
      clearTimeout(killer);
    }
    await worker?.stop();
    const redis = new Redis(config.redis.url);
    const keys = await redis.keys(`${config.redis.keyPrefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    rmSync(folder, { recursive: true, force: true });
  }, 60_000);

  it('finds the worker up and reads its metrics, including the scores it published', async () => {
    await waitFor(async () => (await scalar(`up{job="${WORKER_JOB}"}`)) === 1, 30_000, 'up == 1');
    const info = await query(`seqscore_model_info{job="${WORKER_JOB}"}`);
    expect(info.data?.result.map((series) => series.metric.version)).toEqual([worker.modelVersion]);

    const kafka = createKafka(config.kafka, { clientId: 'prometheus-test' });
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    await producer.send({
      topic: config.topics.input,
      acks: -1,
      messages: Array.from({ length: EVENTS }, (_, n) => ({
        key: `u${n % 5}`,
        value: JSON.stringify({
          eventId: `prom-${n}`,
          userId: `u${n % 5}`,
          itemId: `i${n}`,
          action: 'view',
          ts: Date.now(),
        }),
      })),
    });
    await producer.disconnect();
    await waitFor(
      async () => (await scalar(`seqscore_scores_published_total{job="${WORKER_JOB}"}`)) === EVENTS,
      60_000,
      `Prometheus to see ${EVENTS} scores`,
    );
    expect(await scalar(`seqscore_event_to_score_seconds_count{job="${WORKER_JOB}"}`)).toBe(EVENTS);
  }, 120_000);

  it('loads the deployed alert rules and evaluates them without errors', async () => {
    interface Rules {
      data: { groups: { name: string; rules: { name: string; health: string; lastError?: string }[] }[] };
    }
    await waitFor(
      async () =>
        (await get<Rules>('/api/v1/rules')).data.groups.every((group) =>
          group.rules.every((rule) => rule.health === 'ok'),
        ),
      30_000,
      'every rule to have been evaluated once',
    );
    const { groups } = (await get<Rules>('/api/v1/rules')).data;
    expect(groups.map((group) => group.name)).toEqual(['seqscore']);
    expect(groups[0]?.rules.length).toBeGreaterThan(5);
    const alerts = await query('ALERTS{alertstate="firing"}');
    // A healthy worker with a little traffic trips no alert (SeqscoreWorkerDown needs 2 minutes anyway).
    expect(alerts.data?.result.map((series) => series.metric.alertname)).toEqual([]);
  });

  it('accepts every dashboard query', async () => {
    const rejected: string[] = [];
    for (const { where, expr } of dashboardQueries()) {
      const promql = grafanaQueryToPromQL(expr);
      if (promql === undefined) continue;
      const answer = await query(promql.replaceAll('$instance', '.*'));
      if (answer.status !== 'success') rejected.push(`${where}: ${answer.error}`);
    }
    expect(rejected).toEqual([]);
  });
});
