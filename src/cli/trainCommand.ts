import { SingleBar } from 'cli-progress';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { type Config, loadConfig, parseDurationMs } from '../config.js';
import { ARCHITECTURES, type Architecture } from '../model/encoders.js';
import { DEFAULT_MODEL_CONFIG } from '../model/sequenceModel.js';
import { DEFAULT_NEGATIVES, type LossWeights } from '../model/training.js';
import { type TrainJobOptions, trainAndSave } from '../model/trainJob.js';
import { printEvaluationSummary } from './evaluationOutput.js';
import {
  addSourceOptions,
  isoTime,
  nonNegativeNumber,
  positiveInt,
  positiveNumber,
  type SourceOptionValues,
  sourceFromOptions,
} from './sourceOptions.js';

/** The options of `train` that shape the model and its training (shared with `trainer`). */
export interface TrainingOptionValues {
  model: Architecture;
  churnHorizon?: string;
  epochs: number;
  patience: number;
  hidden: number;
  batchSize: number;
  learningRate: number;
  dropout: number;
  negatives: number;
  lossWeights: LossWeights;
  seed: number;
}

interface TrainCommandOptions extends TrainingOptionValues, SourceOptionValues {
  out?: string;
  testFrom?: number;
  json: boolean;
}

export const DEFAULT_LOSS_WEIGHTS: LossWeights = { action: 1, item: 1, churn: 1 };

function lossWeights(text: string): LossWeights {
  const weights = { ...DEFAULT_LOSS_WEIGHTS };
  for (const part of text.split(',')) {
    const [name, value] = part.split('=').map((piece) => piece.trim());
    if (!name || !(name in weights) || value === undefined || !(Number(value) >= 0)) {
      throw new InvalidArgumentError('expected e.g. action=1,item=1,churn=1');
    }
    weights[name as keyof LossWeights] = Number(value);
  }
  return weights;
}

export function addTrainingOptions(command: Command): Command {
  return command
    .addOption(new Option('--model <architecture>', 'sequence encoder').choices(ARCHITECTURES).default('gru'))
    .option('--churn-horizon <duration>', 'churn = no event within this (default: SEQSCORE_CHURN_HORIZON)')
    .option('--epochs <n>', 'most passes over the training data', positiveInt, 8)
    .option('--patience <n>', 'stop after this many epochs without a better validation loss', positiveInt, 2)
    .option('--hidden <n>', 'encoder state size', positiveInt, DEFAULT_MODEL_CONFIG.hiddenSize)
    .option('--batch-size <n>', 'sequences per gradient step', positiveInt, 32)
    .option('--learning-rate <rate>', 'Adam learning rate', positiveNumber, 0.003)
    .option('--dropout <rate>', 'share of step inputs dropped in training', nonNegativeNumber, 0.3)
    .option(
      '--negatives <n>',
      'random items per batch in the sampled item softmax',
      positiveInt,
      DEFAULT_NEGATIVES,
    )
    .option('--loss-weights <weights>', 'multi-task loss weights', lossWeights, DEFAULT_LOSS_WEIGHTS);
}

/** What a training job needs besides its data, its output folder and its test period. */
export function trainingJobOptions(
  options: TrainingOptionValues,
  config: Config,
): Omit<TrainJobOptions, 'out' | 'testFromMs' | 'version'> {
  return {
    actions: config.events.actions,
    aliases: config.events.aliases,
    backend: config.model.backend,
    model: {
      ...DEFAULT_MODEL_CONFIG,
      architecture: options.model,
      hiddenSize: options.hidden,
      maxLength: config.window.size,
    },
    churnHorizonMs: options.churnHorizon
      ? parseDurationMs(options.churnHorizon)
      : config.model.churnHorizonMs,
    epochs: options.epochs,
    patience: options.patience,
    batchSize: options.batchSize,
    learningRate: options.learningRate,
    dropout: options.dropout,
    negatives: options.negatives,
    lossWeights: options.lossWeights,
    seed: options.seed,
    k: config.model.topK,
  };
}

export function registerTrainCommand(program: Command): void {
  addTrainingOptions(
    addSourceOptions(
      program
        .command('train')
        .description(
          'train a model on historical events, evaluate it on the held-out period, save it to a folder',
        ),
    ),
  )
    .option('--out <dir>', 'model folder to write (default: SEQSCORE_MODEL_DIR)')
    .option(
      '--test-from <iso-time>',
      'hold out events from here on (default: the last 20% of the time span)',
      isoTime,
    )
    .option('--json', 'print the evaluation as JSON', false)
    .action(async (options: TrainCommandOptions) => {
      const config = loadConfig();
      const out = options.out ?? config.model.dir;
      const bar = new SingleBar({
        format: 'epoch {epoch} [{bar}] {value}/{total} batches',
        stream: process.stderr,
      });
      let epoch = 1;
      const { metadata, evaluation } = await trainAndSave(sourceFromOptions(options), {
        ...trainingJobOptions(options, config),
        out,
        ...(options.testFrom ? { testFromMs: options.testFrom } : {}),
        onLoaded: (events, invalid, cleaning) =>
          console.error(
            `loaded ${events} events (rejected: ${JSON.stringify(invalid)}; ` +
              `dropped ${cleaning.outOfRange} out of range and ${cleaning.duplicates} duplicates)`,
          ),
        onBackend: (backend) => console.error(`training on the ${backend} backend`),
        onBatchEnd: (batch, total) => {
          if (batch === 1) bar.start(total, 0, { epoch });
          bar.update(batch);
          if (batch === total) bar.stop();
        },
        onEpochEnd: (report) => {
          epoch = report.epoch + 1;
          console.error(
            `epoch ${report.epoch}: ${report.seconds.toFixed(1)} s, validation loss ${report.validation.total.toFixed(4)} ` +
              `(action ${report.validation.action.toFixed(4)}, item ${report.validation.item.toFixed(4)}, churn ${report.validation.churn.toFixed(4)})`,
          );
        },
        onEvaluating: (predictor) => console.error(`evaluating ${predictor}`),
      });
      console.error(`saved ${metadata.version} to ${out} (best epoch ${metadata.training.bestEpoch})`);
      if (!evaluation) return;
      if (options.json) console.log(JSON.stringify(evaluation));
      else printEvaluationSummary(evaluation);
    });
}
