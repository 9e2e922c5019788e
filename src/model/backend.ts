import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

/**
 * Picks the TensorFlow.js backend. Here the native bindings (tfjs-node) cannot be installed, so the
 * choice is between WASM, which scores about 20x faster than the pure-JS CPU backend but lacks a
 * kernel that training needs (UnsortedSegmentSum, the embedding gradient), and CPU, which can train.
 */
// Production mode drops tfjs's development checks and its "install tfjs-node" banner, which
// cannot be followed on machines where that package does not install.
tf.env().set('PROD', true);

export type BackendName = 'wasm' | 'cpu';
export type BackendPreference = BackendName | 'auto';
export type BackendPurpose = 'inference' | 'training';

export function chooseBackend(preference: BackendPreference, purpose: BackendPurpose): BackendName {
  if (preference !== 'auto') return preference;
  return purpose === 'inference' ? 'wasm' : 'cpu';
}

/** Activates the backend and returns the one actually in use (a failed WASM start falls back to CPU). */
export async function initBackend(
  preference: BackendPreference,
  purpose: BackendPurpose,
): Promise<BackendName> {
  const wanted = chooseBackend(preference, purpose);
  if (tf.getBackend() === wanted) return wanted;
  const ok = await tf.setBackend(wanted);
  if (!ok) {
    if (preference !== 'auto') throw new Error(`the TensorFlow.js backend "${wanted}" could not start`);
    await tf.setBackend('cpu');
  }
  await tf.ready();
  return tf.getBackend() as BackendName;
}
