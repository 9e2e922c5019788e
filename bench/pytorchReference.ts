import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { cacheRoot } from '../src/stack/paths.js';
import { measuringEnv } from './measure.js';

export interface PytorchResult {
  trainSeqPerSec: number;
  trainSampledSeqPerSec: number;
  inferSeqPerSec: number;
  threads: number;
  torch: string;
}

/**
 * A throwaway virtual environment under the seqscore cache, made on first use. PyPI's Linux torch
 * wheels are CUDA builds (with their CUDA runtime wheels); the benchmark runs them on the CPU,
 * with the same CPU kernels as the "+cpu" builds. TORCH_INDEX_URL points pip at a CPU-only index
 * instead where one is reachable.
 */
function ensureVenv(log: (line: string) => void): string {
  const venv = join(cacheRoot(), 'bench-venv');
  const python = join(venv, 'bin', 'python');
  if (!existsSync(python)) {
    log(`creating ${venv}`);
    execFileSync('python3', ['-m', 'venv', venv], { stdio: 'inherit' });
  }
  try {
    execFileSync(python, ['-c', 'import torch'], { stdio: 'ignore' });
  } catch {
    log('installing torch into it (once)');
    const index = process.env.TORCH_INDEX_URL ? ['--index-url', process.env.TORCH_INDEX_URL] : [];
    execFileSync(python, ['-m', 'pip', 'install', '--quiet', ...index, 'torch'], { stdio: 'inherit' });
  }
  return python;
}

export function runPytorchReference(
  options: { batchSize: number; length: number; negatives: number; seconds: number },
  log: (line: string) => void,
): PytorchResult {
  const python = ensureVenv(log);
  const script = join(import.meta.dirname, 'pytorch', 'gru_bench.py');
  const output = execFileSync(
    python,
    [
      script,
      ...['--batch', String(options.batchSize), '--length', String(options.length)],
      ...['--negatives', String(options.negatives), '--seconds', String(options.seconds)],
    ],
    { encoding: 'utf8', env: { ...measuringEnv(), CUDA_VISIBLE_DEVICES: '' } },
  );
  return JSON.parse(output.trim().split('\n').at(-1) ?? '{}') as PytorchResult;
}
