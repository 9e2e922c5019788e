import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import { describeSource, sourceRecords } from '../events/eventSources.js';
import { createKafka, ensureTopics } from '../infra/kafka.js';
import { replayRecords } from '../replay/replay.js';
import {
  addSourceOptions,
  positiveInt,
  positiveNumber,
  type SourceOptionValues,
  sourceFromOptions,
} from './sourceOptions.js';

interface ReplayCommandOptions extends SourceOptionValues {
  rate?: number;
  limit?: number;
  topic?: string;
}

export function registerReplayCommand(program: Command): void {
  addSourceOptions(
    program
      .command('replay')
      .description(
        'produce events from a file (Taobao CSV or NDJSON) or the synthetic generator to the input topic',
      ),
  )
    .option('--rate <eventsPerSecond>', 'events per second (default: as fast as possible)', positiveNumber)
    .option('--limit <n>', 'stop after this many events', positiveInt)
    .option('--topic <topic>', 'topic to produce to (default: SEQSCORE_INPUT_TOPIC)')
    .action(async (options: ReplayCommandOptions) => {
      const config = loadConfig();
      const source = sourceFromOptions(options);
      const topic = options.topic ?? config.topics.input;
      const kafka = createKafka(config.kafka, { clientId: `${config.kafka.clientId}-replay` });
      await ensureTopics(kafka, [{ topic, partitions: config.topics.partitions }]);
      const result = await replayRecords(kafka, sourceRecords(source), {
        topic,
        ...(options.rate ? { rate: options.rate } : {}),
        ...(options.limit ? { limit: options.limit } : {}),
        onProgress: (sent) => process.stderr.write(`\rsent ${sent}`),
      });
      process.stderr.write('\n');
      console.log(
        `replayed ${result.sent} events from ${describeSource(source)} to ${topic} in ${result.seconds.toFixed(1)} s ` +
          `(${Math.round(result.sent / Math.max(result.seconds, 1e-3))} events/s)`,
      );
    });
}
