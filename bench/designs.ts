import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { ActionVocabulary } from '../src/events/actionVocabulary.js';
import type { UserEvent } from '../src/events/event.js';
import { type EventSource, loadEvents } from '../src/events/eventSources.js';
import { scaledGap } from '../src/features/sequenceEncoding.js';
import { initBackend } from '../src/model/backend.js';
import type { BackendPreference } from '../src/model/backendNames.js';
import { sparseSoftmaxCrossEntropy } from '../src/model/ops/sparseSoftmaxCrossEntropy.js';
import { groupByUser } from '../src/model/trainingData.js';
import { buildBenchModel, DEFAULT_SPEC } from './benchModel.js';
import { createTrainer, type ItemLoss, type TrainBatch } from './training.js';
import { lcg } from './workload.js';

/**
 * Training designs that cut work, each trained from the same start for one pass over the same
 * examples and scored on the same held-out events: speed (sequences/s) and quality (next-item
 * recall@20 against the whole vocabulary, next-item and next-action loss).
 */
const USAGE = 'usage: npm run bench:designs -- [--backend node|wasm|cpu] [--examples N] [--data-dir DIR]';
const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'auto' },
    examples: { type: 'string', default: '20000' },
    'data-dir': { type: 'string', default: '../shared/data' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

const ACTIONS = new ActionVocabulary(['view', 'cart', 'fav', 'purchase'], { pv: 'view', buy: 'purchase' });
const BATCH = 256;
const MAX_LENGTH = 50;
const CHURN_MS = 86_400_000;

interface Example {
  history: UserEvent[];
  next: UserEvent;
}

/** Item ids by frequency; the vocabulary's last id stands for every rarer item. */
function itemIds(events: readonly UserEvent[], size: number): (itemId: string) => number {
  const counts = new Map<string, number>();
  for (const event of events) counts.set(event.itemId, (counts.get(event.itemId) ?? 0) + 1);
  const ranked = [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, size - 2);
  const ids = new Map(ranked.map(([item], i) => [item, i + 1]));
  return (itemId) => ids.get(itemId) ?? size - 1;
}

/** Each user's last tenth of events is held out; earlier positions are training examples. */
function splitExamples(events: readonly UserEvent[]): { train: Example[]; test: Example[] } {
  const train: Example[] = [];
  const test: Example[] = [];
  for (const history of groupByUser(events).values()) {
    const firstTest = Math.floor(history.length * 0.9);
    for (let i = 1; i < history.length; i++) {
      const example = {
        history: history.slice(Math.max(0, i - MAX_LENGTH), i),
        next: history[i] as UserEvent,
      };
      (i >= firstTest ? test : train).push(example);
    }
  }
  return { train, test };
}

function encode(examples: readonly Example[], length: number, id: (itemId: string) => number): TrainBatch {
  const width = Math.max(1, ...examples.map((e) => Math.min(e.history.length, length)));
  const items = new Int32Array(examples.length * width);
  const actions = new Int32Array(examples.length * width);
  const gaps = new Float32Array(examples.length * width);
  examples.forEach((example, row) => {
    const kept = example.history.slice(-width);
    const offset = row * width + width - kept.length;
    kept.forEach((event, i) => {
      items[offset + i] = id(event.itemId);
      actions[offset + i] = (ACTIONS.indexOf(event.action) ?? 0) + 1;
      gaps[offset + i] = scaledGap(kept[i - 1]?.tsMs, event.tsMs);
    });
  });
  const last = (e: Example) => e.history.at(-1) as UserEvent;
  return {
    items: tf.tensor2d(items, [examples.length, width], 'int32'),
    actions: tf.tensor2d(actions, [examples.length, width], 'int32'),
    gaps: tf.tensor3d(gaps, [examples.length, width, 1]),
    nextAction: tf.tensor1d(
      examples.map((e) => ACTIONS.indexOf(e.next.action) ?? 0),
      'int32',
    ),
    churn: tf.tensor2d(
      examples.map((e) => (e.next.tsMs - last(e).tsMs > CHURN_MS ? 1 : 0)),
      [examples.length, 1],
    ),
    nextItem: tf.tensor1d(
      examples.map((e) => id(e.next.itemId)),
      'int32',
    ),
  };
}

interface Design {
  name: string;
  itemLoss: ItemLoss;
  length: number;
  /** Batches of similar history length, each padded only to its own longest history. */
  byLength: boolean;
}

const DESIGNS: Design[] = [
  { name: 'full softmax, length 50 (reference)', itemLoss: { kind: 'full' }, length: 50, byLength: false },
  { name: 'full softmax, batches by length', itemLoss: { kind: 'full' }, length: 50, byLength: true },
  { name: 'full softmax, length 20', itemLoss: { kind: 'full' }, length: 20, byLength: false },
  {
    name: 'sampled softmax (1,024 uniform)',
    itemLoss: { kind: 'sampled', negatives: 1024 },
    length: 50,
    byLength: false,
  },
  { name: 'in-batch negatives', itemLoss: { kind: 'inBatch' }, length: 50, byLength: false },
  {
    name: 'sampled + by length + length 20',
    itemLoss: { kind: 'sampled', negatives: 1024 },
    length: 20,
    byLength: true,
  },
];

function batchesOf(examples: readonly Example[], design: Design): Example[][] {
  const ordered = design.byLength
    ? [...examples].sort(
        (a, b) => Math.min(a.history.length, design.length) - Math.min(b.history.length, design.length),
      )
    : examples;
  const batches: Example[][] = [];
  for (let i = 0; i + BATCH <= ordered.length; i += BATCH) batches.push(ordered.slice(i, i + BATCH));
  // Batch order is shuffled either way, so sorting changes padding, not the order of learning.
  const next = lcg(5);
  return batches
    .map((batch) => ({ batch, key: next() }))
    .sort((a, b) => a.key - b.key)
    .map(({ batch }) => batch);
}

/** Held-out quality, in chunks: full-vocabulary logits for every test event at once would take gigabytes. */
function evaluate(
  model: ReturnType<typeof buildBenchModel>,
  test: readonly Example[],
  id: (itemId: string) => number,
) {
  let hits = 0;
  let itemLoss = 0;
  let actionLoss = 0;
  for (let from = 0; from < test.length; from += 500) {
    const batch = encode(test.slice(from, from + 500), MAX_LENGTH, id);
    tf.tidy(() => {
      const [action, , logits] = model.training.predict([
        batch.items,
        batch.actions,
        batch.gaps,
      ]) as tf.Tensor2D[];
      const count = batch.nextItem.shape[0];
      const { indices } = tf.topk(logits as tf.Tensor2D, 20);
      hits += tf
        .sum(tf.cast(tf.any(tf.equal(indices, tf.expandDims(batch.nextItem, 1)), 1), 'int32'))
        .dataSync()[0] as number;
      itemLoss +=
        (sparseSoftmaxCrossEntropy(batch.nextItem, logits as tf.Tensor2D).dataSync()[0] as number) * count;
      const actionProbabilities = tf.oneHot(batch.nextAction, model.spec.actions);
      actionLoss += tf
        .sum(tf.metrics.categoricalCrossentropy(actionProbabilities, action as tf.Tensor2D))
        .dataSync()[0] as number;
    });
    tf.dispose(Object.values(batch));
  }
  return {
    recallAt20: hits / test.length,
    itemLoss: itemLoss / test.length,
    actionLoss: actionLoss / test.length,
  };
}

const backend = await initBackend(values.backend as BackendPreference, 'training');
const file = join(values['data-dir'], 'taobao-userbehavior-dev.csv');
const source: EventSource = existsSync(file)
  ? { kind: 'file', file, format: 'taobao' }
  : { kind: 'synthetic', options: { users: 800, events: 80_000, seed: 1 } };
if (source.kind === 'synthetic') console.error(`no ${file}: using synthetic events`);
const { events } = await loadEvents(source, ACTIONS);
const id = itemIds(events, DEFAULT_SPEC.items);
const { train, test } = splitExamples(events);
const trainExamples = train.slice(0, Number(values.examples));
const heldOut = test.slice(0, 4_000);
console.log(
  `backend ${backend}; ${events.length} events from ${source.kind === 'file' ? file : 'the generator'}; ` +
    `${trainExamples.length} training examples (one pass), ${heldOut.length} held-out next events`,
);
const rows: string[][] = [['design', 'train seq/s', 'recall@20', 'item loss', 'action loss']];
for (const design of DESIGNS) {
  const model = buildBenchModel(DEFAULT_SPEC);
  const train = createTrainer(model, { itemLoss: design.itemLoss });
  const batches = batchesOf(trainExamples, design);
  let seconds = 0;
  for (const examples of batches) {
    const batch = encode(examples, design.length, id);
    const start = performance.now();
    train(batch);
    seconds += (performance.now() - start) / 1000;
    tf.dispose(Object.values(batch));
  }
  const quality = evaluate(model, heldOut, id);
  rows.push([
    design.name,
    Math.round((batches.length * BATCH) / seconds).toLocaleString('en-US'),
    quality.recallAt20.toFixed(4),
    quality.itemLoss.toFixed(3),
    quality.actionLoss.toFixed(3),
  ]);
  console.error(rows.at(-1)?.join(' | '));
  model.training.dispose();
}
const widths = rows[0]?.map((_, c) => Math.max(...rows.map((row) => (row[c] ?? '').length))) ?? [];
console.log(`npm run bench:designs -- ${process.argv.slice(2).join(' ')}`.trimEnd());
for (const row of rows) console.log(row.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join('  '));
