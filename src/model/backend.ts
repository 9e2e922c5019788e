import * as tf from '@tensorflow/tfjs';
import { BACKEND_NAMES, type BackendName, type BackendPreference } from './backendNames.js';
import { registerFastKernels } from './kernels/registerKernels.js';
import { type NativeBackendName, startNativeBackend } from './nativeBackend.js';

/**
 * Picks the TensorFlow.js backend: libtensorflow through tfjs-node-gpu (CUDA) or tfjs-node when one
 * of those optional packages is installed with its native binding, else WASM (SIMD), else pure-JS
 * CPU. WASM and CPU get this project's kernels for what they lack or do slowly (see kernels/), so
 * both can train.
 */
// Production mode drops tfjs's development checks and its "install tfjs-node" banner.
tf.env().set('PROD', true);
registerFastKernels();

/**
 * 'streaming' is the worker's load: per micro-batch, a few dozen small ops and their read-backs.
 * 'inference' scores whole histories in large batches (eval, insights); 'training' trains.
 */
export type BackendPurpose = 'streaming' | 'inference' | 'training';

/**
 * Fastest first. libtensorflow leads for large batched work, but each op it runs costs tens of
 * microseconds of dispatch through tfjs-node, which the worker's small ops pay many times per
 * micro-batch: the worker consumed a backlog 1.7x faster on WASM than on `node` (4,972 against
 * 2,882 events/s, same machine, same run). With the added kernels WASM trains about 20x faster
 * than the pure-JS CPU backend, as it already scored faster.
 */
const AUTO_ORDER: Record<BackendPurpose, readonly BackendName[]> = {
  streaming: ['wasm', 'node-gpu', 'node', 'cpu'],
  inference: BACKEND_NAMES,
  training: BACKEND_NAMES,
};

export function backendCandidates(preference: BackendPreference, purpose: BackendPurpose): BackendName[] {
  return preference === 'auto' ? [...AUTO_ORDER[purpose]] : [preference];
}

export interface Unavailable {
  backend: BackendName;
  reason: string;
}

/**
 * Starts the first candidate that starts. With a single (forced) candidate a failure is an error;
 * otherwise each failure is reported and the next one is tried.
 */
export async function selectBackend(
  candidates: readonly BackendName[],
  start: (name: BackendName) => Promise<void>,
  onUnavailable: (unavailable: Unavailable) => void = () => {},
): Promise<BackendName> {
  const reasons: string[] = [];
  for (const backend of candidates) {
    try {
      await start(backend);
      return backend;
    } catch (error) {
      const reason = error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
      reasons.push(`${backend}: ${reason}`);
      onUnavailable({ backend, reason });
    }
  }
  throw new Error(`no TensorFlow.js backend could start (${reasons.join('; ')})`);
}

async function startBackend(name: BackendName): Promise<void> {
  if (name === 'node-gpu' || name === 'node') return startNativeBackend(name satisfies NativeBackendName);
  if (!(await tf.setBackend(name))) throw new Error(`the ${name} backend did not initialise`);
}

/** Activates the best available backend for the purpose and returns its name. */
export async function initBackend(
  preference: BackendPreference,
  purpose: BackendPurpose,
  onUnavailable?: (unavailable: Unavailable) => void,
): Promise<BackendName> {
  const name = await selectBackend(backendCandidates(preference, purpose), startBackend, onUnavailable);
  await tf.ready();
  return name;
}
