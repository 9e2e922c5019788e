import type { Command } from 'commander';
import { type Config, loadConfig } from '../config.js';
import { createLogger, errorSummary } from '../logger.js';
import type { RetrainSettings } from '../retrain/retrainRun.js';
import { type RunningTrainer, startRegistryTrainer } from '../retrain/trainer.js';
import { addSourceOptions, type SourceOptionValues, sourceFromOptions } from './sourceOptions.js';
import { addTrainingOptions, type TrainingOptionValues, trainingJobOptions } from './trainCommand.js';

type TrainerCommandOptions = TrainingOptionValues & SourceOptionValues;

/** Retraining reads the input topic unless the command names a file (or synthetic events). */
export function retrainSettings(options: TrainerCommandOptions, config: Config): RetrainSettings {
  const fromFile = options.events !== undefined || options.synthetic !== undefined;
  return {
    source: fromFile
      ? { kind: 'events', source: sourceFromOptions(options) }
      : { kind: 'kafka', topic: config.topics.input, groupPrefix: `${config.kafka.groupId}-retrain` },
    windowMs: config.retrain.windowMs,
    promotion: config.retrain.promotion,
    training: trainingJobOptions(options, config),
    segments: config.insights.segments,
  };
}

export function registerTrainerCommand(program: Command): void {
  addTrainingOptions(
    addSourceOptions(
      program
        .command('trainer')
        .description(
          'run retraining on schedule (SEQSCORE_RETRAIN_EVERY or SEQSCORE_RETRAIN_CRON) and on demand; ' +
            'reads the last SEQSCORE_TRAIN_WINDOW of the input topic unless --events or --synthetic is given',
        ),
    ),
  ).action(async (options: TrainerCommandOptions) => {
    const config = loadConfig();
    const logger = createLogger(config.logLevel);
    let trainer: RunningTrainer;
    try {
      trainer = await startRegistryTrainer(config, logger, retrainSettings(options, config));
    } catch (error) {
      logger.fatal({ error: errorSummary(error) }, 'trainer could not start');
      logger.flush(() => process.exit(1));
      return;
    }
    const shutdown = async (signal: string) => {
      logger.info({ signal }, 'stopping: waiting for the run in progress');
      try {
        await trainer.stop();
        logger.flush(() => process.exit(0));
      } catch (error) {
        logger.error({ error: errorSummary(error) }, 'stop failed');
        logger.flush(() => process.exit(1));
      }
    };
    process.once('SIGTERM', () => void shutdown('SIGTERM'));
    process.once('SIGINT', () => void shutdown('SIGINT'));
  });
}
