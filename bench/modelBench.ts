import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BACKEND_NAMES, type BackendName } from '../src/model/backendNames.js';
import { DEFAULT_NEGATIVES } from '../src/model/training.js';
import { measuringEnv } from './measure.js';
import { type PytorchResult, runPytorchReference } from './pytorchReference.js';
import type { BackendResult, RunOptions } from './runBackend.js';

const USAGE = `usage: npm run bench:model -- [--quick] [--json] [--pytorch] [--backends node,wasm,cpu]

Per TensorFlow.js backend: training sequences/s (length 50, batch 256, GRU 64, 50k items, three heads)
with the full softmax over the items and with the sampled softmax \`seqscore train\` uses by default,
incremental scoring events/s (one GRU step per event, batch 256), whole-sequence inference
sequences/s, and the peak RSS of the process that measured them. --pytorch adds the same model in
PyTorch on the CPU (creates a virtual environment and installs torch on first use).`;

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    pytorch: { type: 'boolean', default: false },
    backends: { type: 'string', default: BACKEND_NAMES.join(',') },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

const wanted = values.backends.split(',').map((name) => name.trim()) as BackendName[];
const unknown = wanted.filter((name) => !BACKEND_NAMES.includes(name));
if (unknown.length > 0) throw new Error(`unknown backends: ${unknown.join(', ')}\n${USAGE}`);

const options: RunOptions = {
  batchSize: 256,
  length: 50,
  budget: values.quick
    ? { warmups: 1, seconds: 2, maxRuns: 200 }
    : { warmups: 2, seconds: 15, maxRuns: 10_000 },
};
const log = (line: string) => console.error(line);

/** Each backend runs in its own process: separate peak RSS, and tfjs-node never shares a process with WASM. */
function measure(name: BackendName): BackendResult | { name: BackendName; unavailable: string } {
  log(`measuring ${name} ...`);
  const child = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, 'runBackend.ts'), name, JSON.stringify(options)],
    { encoding: 'utf8', env: { ...measuringEnv(), TF_CPP_MIN_LOG_LEVEL: '2' } },
  );
  const last = child.stdout.trim().split('\n').at(-1) ?? '';
  if (child.status === 0 && last.startsWith('{')) return JSON.parse(last) as BackendResult;
  const error = /Error: (.*)/.exec(child.stderr)?.[1] ?? `exit ${child.status}`;
  const reason = /backend could start \(\w[\w-]*: (.*)\)$/.exec(error)?.[1] ?? error;
  return { name, unavailable: reason };
}

const rows = wanted.map(measure);
const measured = rows.filter((row): row is BackendResult => !('unavailable' in row));
let pytorch: PytorchResult | null = null;
if (values.pytorch) {
  log('measuring PyTorch on the CPU ...');
  pytorch = runPytorchReference(
    {
      batchSize: options.batchSize,
      length: options.length,
      negatives: DEFAULT_NEGATIVES,
      seconds: options.budget.seconds,
    },
    log,
  );
}

const fmt = (value: number) => Math.round(value).toLocaleString('en-US');
const table = [
  ['backend', 'train seq/s, full', 'train seq/s, sampled', 'step events/s', 'infer seq/s', 'peak RSS MiB'],
  ...rows.map((row) =>
    'unavailable' in row
      ? [row.name, `unavailable: ${row.unavailable}`, '', '', '', '']
      : [
          row.name,
          fmt(row.trainSeqPerSec),
          fmt(row.trainSampledSeqPerSec),
          fmt(row.stepEventsPerSec),
          fmt(row.inferSeqPerSec),
          fmt(row.peakRssMb),
        ],
  ),
  ...(pytorch
    ? [
        [
          `pytorch ${pytorch.torch} cpu (${pytorch.threads} threads)`,
          fmt(pytorch.trainSeqPerSec),
          fmt(pytorch.trainSampledSeqPerSec),
          '',
          fmt(pytorch.inferSeqPerSec),
          '',
        ],
      ]
    : []),
];
const widths =
  table[0]?.map((_, column) => Math.max(...table.map((row) => (row[column] ?? '').length))) ?? [];
console.log(`\nnpm run bench:model -- ${process.argv.slice(2).join(' ')}`.trimEnd());
console.log(
  `batch ${options.batchSize}, length ${options.length}, GRU 64, 50,000 items; ${values.quick ? 'quick' : 'full'} run`,
);
console.log(
  `sampled: the batch's targets plus ${DEFAULT_NEGATIVES} random items, as \`seqscore train\` by default`,
);
for (const row of table) console.log(row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  '));
for (const [softmax, field] of [
  ['full', 'trainSeqPerSec'],
  ['sampled', 'trainSampledSeqPerSec'],
] as const) {
  const best = Math.max(0, ...measured.map((row) => row[field]));
  if (pytorch && best > 0) {
    console.log(
      `best TensorFlow.js training, ${softmax} softmax, is ${(best / pytorch[field]).toFixed(2)}x PyTorch CPU`,
    );
  }
}
if (values.json) {
  const summary = {
    backends: measured.map(
      ({ name, trainSeqPerSec, trainSampledSeqPerSec, stepEventsPerSec, inferSeqPerSec, peakRssMb }) => ({
        name,
        trainSeqPerSec,
        trainSampledSeqPerSec,
        stepEventsPerSec,
        inferSeqPerSec,
        peakRssMb,
      }),
    ),
    pytorchCpu: pytorch
      ? { trainSeqPerSec: pytorch.trainSeqPerSec, trainSampledSeqPerSec: pytorch.trainSampledSeqPerSec }
      : null,
  };
  console.log(JSON.stringify(summary));
}
