import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import { trainAndSave } from '../model/trainJob.js';
import {
  addSourceOptions,
  positiveInt,
  type SourceOptionValues,
  sourceFromOptions,
} from './sourceOptions.js';

interface TrainCommandOptions extends SourceOptionValues {
  out: string;
  epochs: number;
  hidden: number;
  trainLength: number;
  maxExamples: number;
  batchSize: number;
}

export function registerTrainCommand(program: Command): void {
  addSourceOptions(
    program.command('train').description('train a model on historical events and save it to a folder'),
  )
    .option('--out <dir>', 'model folder to write (default: SEQSCORE_MODEL_DIR)')
    .option('--epochs <n>', 'passes over the training examples', positiveInt, 3)
    .option('--hidden <n>', 'GRU units', positiveInt, 32)
    .option('--train-length <n>', 'events of history per training example', positiveInt, 20)
    .option('--max-examples <n>', 'cap on training examples (sampled with --seed)', positiveInt, 20_000)
    .option('--batch-size <n>', 'examples per gradient step', positiveInt, 128)
    .action(async (options: TrainCommandOptions) => {
      const config = loadConfig();
      const out = options.out ?? config.model.dir;
      const bar = new SingleBar({ format: 'epoch {epoch} [{bar}] {value}/{total} batches | loss {loss}' });
      let barStarted = false;
      const metadata = await trainAndSave(sourceFromOptions(options), {
        actions: config.events.actions,
        aliases: config.events.aliases,
        out,
        backend: config.model.backend,
        churnHorizonMs: config.model.churnHorizonMs,
        epochs: options.epochs,
        seed: options.seed,
        hiddenUnits: options.hidden,
        trainLength: options.trainLength,
        maxSequenceLength: config.window.size,
        maxExamples: options.maxExamples,
        batchSize: options.batchSize,
        onBackend: (backend) => console.log(`training on the ${backend} TensorFlow.js backend`),
        onLoaded: (events, invalid) =>
          console.log(`loaded ${events} events; rejected: ${JSON.stringify(invalid)}`),
        onBatchEnd: (batch, total) => {
          if (!barStarted) {
            bar.start(total, 0, { epoch: 1, loss: '-' });
            barStarted = true;
          }
          bar.update(batch);
        },
        onEpochEnd: (epoch, loss) => {
          bar.update({ epoch: epoch + 1, loss: loss.toFixed(4) });
          bar.update(0);
        },
      });
      bar.stop();
      console.log(
        `saved model ${metadata.version} to ${out}: ${metadata.training.examples} examples, ` +
          `${metadata.training.epochs} epochs, final loss ${metadata.training.finalLoss?.toFixed(4)}`,
      );
    });
}
