import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/model/backend.js';
import type { BackendName } from '../src/model/backendNames.js';
import { DEFAULT_NEGATIVES } from '../src/model/training.js';
import { buildBenchModel, DEFAULT_SPEC } from './benchModel.js';
import { type Budget, peakRssMb, throughput } from './measure.js';
import { createStepScorer } from './stepScorer.js';
import { createTrainer } from './training.js';
import { disposeBatch, randomTrainBatch } from './workload.js';

/** One backend's figures; the harness runs each backend in its own process for a clean peak RSS. */
export interface BackendResult {
  name: BackendName;
  /** Full softmax over the 50k items. */
  trainSeqPerSec: number;
  /** Sampled softmax as `seqscore train` runs it by default: the batch's targets plus DEFAULT_NEGATIVES random items. */
  trainSampledSeqPerSec: number;
  stepEventsPerSec: number;
  inferSeqPerSec: number;
  peakRssMb: number;
}

export interface RunOptions {
  batchSize: number;
  length: number;
  budget: Budget;
}

export async function runBackend(name: BackendName, options: RunOptions): Promise<BackendResult> {
  await initBackend(name, 'training');
  const { batchSize, length, budget } = options;
  const model = buildBenchModel(DEFAULT_SPEC);
  const batch = randomTrainBatch(DEFAULT_SPEC, batchSize, length, 42);

  const inferSeqPerSec = throughput(batchSize, budget, () => {
    const outputs = model.scoring.predict([batch.items, batch.actions, batch.gaps]) as tf.Tensor[];
    for (const output of outputs) output.dataSync();
    tf.dispose(outputs);
  });

  const step = createStepScorer(model);
  let state = tf.zeros([batchSize, model.spec.hiddenUnits]) as tf.Tensor2D;
  const inputs = tf.tidy(() => ({
    items: batch.items.slice([0, length - 1], [batchSize, 1]).reshape([batchSize]) as tf.Tensor1D,
    actions: batch.actions.slice([0, length - 1], [batchSize, 1]).reshape([batchSize]) as tf.Tensor1D,
    gaps: batch.gaps.slice([0, length - 1, 0], [batchSize, 1, 1]).reshape([batchSize, 1]) as tf.Tensor2D,
  }));
  // Each step reads back everything a worker would store or publish: the new state and both scores.
  const stepEventsPerSec = throughput(batchSize, budget, () => {
    const out = step(state, inputs);
    out.state.dataSync();
    out.nextAction.dataSync();
    out.churn.dataSync();
    tf.dispose([state, out.nextAction, out.churn]);
    state = out.state;
  });
  tf.dispose([state, ...Object.values(inputs)]);

  const trainFull = createTrainer(model);
  const trainSeqPerSec = throughput(batchSize, budget, () => {
    trainFull(batch);
  });
  const trainSampled = createTrainer(model, { itemLoss: { kind: 'sampled', negatives: DEFAULT_NEGATIVES } });
  const trainSampledSeqPerSec = throughput(batchSize, budget, () => {
    trainSampled(batch);
  });

  disposeBatch(batch);
  return {
    name,
    trainSeqPerSec,
    trainSampledSeqPerSec,
    stepEventsPerSec,
    inferSeqPerSec,
    peakRssMb: peakRssMb(),
  };
}

// Child-process entry: `tsx bench/runBackend.ts <backend> <options JSON>` prints one JSON line.
if (process.argv[1]?.endsWith('runBackend.ts')) {
  const [name, optionsJson] = process.argv.slice(2) as [BackendName, string];
  const result = await runBackend(name, JSON.parse(optionsJson) as RunOptions);
  console.log(JSON.stringify(result));
}
