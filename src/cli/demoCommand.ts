import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { MultiBar, Presets } from 'cli-progress';
import type { Command } from 'commander';
import { type Config, loadConfig } from '../config.js';
import { describeSource, type EventSource, sourceRecords } from '../events/eventSources.js';
import { createKafka, ensureTopics } from '../infra/kafka.js';
import { createLogger } from '../logger.js';
import { readModelMetadata, weightsMismatch } from '../model/modelFolder.js';
import { DEFAULT_MODEL_CONFIG } from '../model/sequenceModel.js';
import { DEFAULT_NEGATIVES } from '../model/training.js';
import { trainAndSave } from '../model/trainJob.js';
import { replayRecords } from '../replay/replay.js';
import { stackDown, stackUp } from '../stack/index.js';
import { startWorker } from '../worker/worker.js';
import { formatLiveFigures, percentile, RecentStats } from './liveProgress.js';
import { nonNegativeNumber, positiveInt } from './sourceOptions.js';
import { DEFAULT_LOSS_WEIGHTS } from './trainCommand.js';

interface DemoOptions {
  events: number;
  rate: number;
  dataDir: string;
  keepStack: boolean;
}

/** What the demo ran, for the insights that follow it. */
export interface DemoRun {
  config: Config;
  /** The events replayed. */
  events: EventSource;
  modelVersion: string;
  eventsSent: number;
  scored: number;
  deadLettered: number;
  startedAtMs: number;
  endedAtMs: number;
}

/** A short summary of the scores the demo produced, and the HTML report written with them. */
export interface DemoInsights {
  summary: string[];
  reportPath: string;
}

/** Where `seqscore insights` plugs into the demo: called once the replay is scored, stack still up. */
export type DemoInsightsHook = (run: DemoRun) => Promise<DemoInsights>;

export function formatInsights(insights: DemoInsights): string[] {
  return [
    '',
    'insights',
    ...insights.summary.map((line) => `  ${line}`),
    `  report           ${insights.reportPath}`,
  ];
}

const TRAIN_FILE = 'taobao-userbehavior-dev.csv';
const REPLAY_FILE = 'taobao-userbehavior-timeslice-20171126.csv';

function sourceFor(dataDir: string, file: string, fallbackSeed: number, events: number): EventSource {
  const path = join(dataDir, file);
  return existsSync(path)
    ? { kind: 'file', file: path, format: 'taobao' }
    : { kind: 'synthetic', options: { events, seed: fallbackSeed } };
}

/** The model in `dir` if this version can serve it, or why it cannot (none there, or saved by an incompatible version). */
async function servableModel(dir: string): Promise<{ version: string } | { reason: string }> {
  if (!existsSync(dir)) return { reason: `none in ${dir}` };
  const metadata = await readModelMetadata(dir);
  const mismatch = weightsMismatch(metadata);
  return mismatch
    ? { reason: `the one in ${dir} cannot be served: it ${mismatch}` }
    : { version: metadata.version };
}

export function registerDemoCommand(program: Command, hooks: { insights?: DemoInsightsHook } = {}): void {
  program
    .command('demo')
    .description(
      'bring up the local stack, train or load a model, run the worker on replayed events, and summarise',
    )
    .option('--events <n>', 'events to replay', positiveInt, 20_000)
    .option('--rate <eventsPerSecond>', 'replay rate; 0 sends as fast as possible', nonNegativeNumber, 800)
    .option(
      '--data-dir <dir>',
      'folder with the Taobao sample files (synthetic events when absent)',
      '../shared/data',
    )
    .option('--keep-stack', 'leave Kafka and Redis running afterwards', false)
    .action(async (options: DemoOptions) => {
      const config = loadConfig();
      const logFile = resolve('.seqscore/demo-worker.log');
      const logger = createLogger(config.logLevel, logFile);
      const dataDir = resolve(options.dataDir);
      console.log('seqscore demo\n');
      const stack = await stackUp({ onProgress: (line) => console.log(`  stack: ${line}`) });
      let worker: Awaited<ReturnType<typeof startWorker>> | undefined;
      try {
        const servable = await servableModel(config.model.dir);
        if ('version' in servable) {
          console.log(`  model: using ${servable.version} from ${config.model.dir}`);
        } else {
          const source = sourceFor(dataDir, TRAIN_FILE, 1, 40_000);
          console.log(`  model: ${servable.reason}; training one on ${describeSource(source)}`);
          const { metadata } = await trainAndSave(source, {
            actions: config.events.actions,
            aliases: config.events.aliases,
            out: config.model.dir,
            backend: config.model.backend,
            model: { ...DEFAULT_MODEL_CONFIG, maxLength: config.window.size },
            churnHorizonMs: config.model.churnHorizonMs,
            epochs: 2,
            patience: 1,
            batchSize: 32,
            learningRate: 0.003,
            dropout: 0.3,
            negatives: DEFAULT_NEGATIVES,
            lossWeights: DEFAULT_LOSS_WEIGHTS,
            seed: 7,
            k: config.model.topK,
            evaluate: false,
            onEpochEnd: (report) =>
              console.log(
                `  model: epoch ${report.epoch}, validation loss ${report.validation.total.toFixed(4)}`,
              ),
          });
          console.log(`  model: saved ${metadata.version}`);
        }

        let processed = 0;
        let scored = 0;
        let invalid = 0;
        let duplicates = 0;
        const latencies: number[] = [];
        const recent = new RecentStats();
        worker = await startWorker(config, logger, {
          onBatch: (result) => {
            const events = result.scored + result.deadLettered + result.skippedExpiredDuplicates;
            processed += events;
            scored += result.scored;
            invalid += result.deadLettered;
            duplicates += result.skippedExpiredDuplicates;
            latencies.push(...result.latenciesMs);
            recent.record(Date.now(), events, result.latenciesMs);
          },
        });
        console.log(`  worker: metrics on http://127.0.0.1:${worker.httpPort}/metrics, logs in ${logFile}`);

        const replaySource = sourceFor(dataDir, REPLAY_FILE, 99, options.events);
        const kafka = createKafka(config.kafka, { clientId: `${config.kafka.clientId}-demo` });
        await ensureTopics(kafka, [{ topic: config.topics.input, partitions: config.topics.partitions }]);
        console.log(`  replay: ${options.events} events from ${describeSource(replaySource)}\n`);

        // On a terminal the bars redraw in place; piped to a file or CI log, they print every 5 s.
        const bars = new MultiBar(
          {
            format: '  {name} [{bar}] {value}/{total} {live}',
            hideCursor: true,
            barsize: 24,
            stream: process.stdout,
            noTTYOutput: true,
            notTTYSchedule: 5_000,
          },
          Presets.shades_grey,
        );
        const producedBar = bars.create(options.events, 0, { name: 'produced ', live: '' });
        const scoredBar = bars.create(options.events, 0, { name: 'processed', live: '' });
        // Lag counted here, from what was produced and what the worker finished: the worker's lag gauge
        // dates from its last fetch and misses what kafkajs has already prefetched.
        let sentSoFar = 0;
        const refresh = () =>
          scoredBar.update(processed, {
            live: ` ${formatLiveFigures(recent.figures(Date.now()), Math.max(0, sentSoFar - processed))}`,
          });
        const ticker = setInterval(refresh, 1_000);
        const startedAt = Date.now();
        let replay: Awaited<ReturnType<typeof replayRecords>>;
        try {
          replay = await replayRecords(kafka, sourceRecords(replaySource), {
            topic: config.topics.input,
            limit: options.events,
            ...(options.rate > 0 ? { rate: options.rate } : {}),
            onProgress: (sent) => {
              sentSoFar = sent;
              producedBar.update(sent);
            },
          });
          producedBar.setTotal(replay.sent);
          scoredBar.setTotal(replay.sent);
          const deadline = Date.now() + 180_000;
          while (processed < replay.sent && Date.now() < deadline) {
            await new Promise((done) => setTimeout(done, 200));
          }
          refresh();
        } finally {
          clearInterval(ticker);
          bars.stop();
        }
        const seconds = (Date.now() - startedAt) / 1000;
        latencies.sort((a, b) => a - b);
        console.log('\nsummary');
        console.log(`  events in        ${replay.sent}`);
        console.log(`  scores out       ${scored}`);
        console.log(`  invalid (DLQ)    ${invalid}`);
        // A second demo on the same Redis replays the same events: the worker's dedupe skips them.
        if (duplicates > 0) console.log(`  duplicates       ${duplicates} (events already applied, skipped)`);
        console.log(`  not processed    ${Math.max(0, replay.sent - processed)}`);
        console.log(
          `  throughput       ${Math.round(processed / seconds)} events/s over ${seconds.toFixed(1)} s`,
        );
        console.log(
          `  latency p50/p95/p99  ${percentile(latencies, 0.5)} / ${percentile(latencies, 0.95)} / ${percentile(latencies, 0.99)} ms` +
            (options.rate > 0
              ? ` at ${options.rate} events/s offered`
              : ' (full speed: includes queueing behind the replay)'),
        );
        console.log(`  model            ${worker.modelVersion}`);
        if (processed < replay.sent) process.exitCode = 1;
        if (hooks.insights) {
          const insights = await hooks.insights({
            config,
            events: replaySource,
            modelVersion: worker.modelVersion,
            eventsSent: replay.sent,
            scored,
            deadLettered: invalid,
            startedAtMs: startedAt,
            endedAtMs: Date.now(),
          });
          for (const line of formatInsights(insights)) console.log(line);
        }
      } finally {
        await worker?.stop();
        if (!options.keepStack && stack.started.length > 0) {
          await stackDown({ services: stack.started, onProgress: (line) => console.log(`  stack: ${line}`) });
        }
      }
    });
}
