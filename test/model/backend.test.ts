import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { backendCandidates, initBackend, selectBackend, type Unavailable } from '../../src/model/backend.js';
import type { BackendName } from '../../src/model/backendNames.js';

describe('backend choice', () => {
  it('tries native GPU, native CPU, WASM, then pure JS when left to choose, and WASM first for the worker', () => {
    expect(backendCandidates('auto', 'training')).toEqual(['node-gpu', 'node', 'wasm', 'cpu']);
    expect(backendCandidates('auto', 'inference')).toEqual(['node-gpu', 'node', 'wasm', 'cpu']);
    expect(backendCandidates('auto', 'streaming')).toEqual(['wasm', 'node-gpu', 'node', 'cpu']);
  });

  it('tries only the forced backend', () => {
    expect(backendCandidates('wasm', 'inference')).toEqual(['wasm']);
  });

  it('takes the first backend that starts and reports the ones that did not', async () => {
    const tried: BackendName[] = [];
    const skipped: Unavailable[] = [];
    const chosen = await selectBackend(
      ['node-gpu', 'node', 'wasm', 'cpu'],
      async (name) => {
        tried.push(name);
        if (name.startsWith('node')) throw new Error(`${name} is not installed\nstack`);
      },
      (unavailable) => skipped.push(unavailable),
    );
    expect(chosen).toBe('wasm');
    expect(tried).toEqual(['node-gpu', 'node', 'wasm']);
    expect(skipped).toEqual([
      { backend: 'node-gpu', reason: 'node-gpu is not installed' },
      { backend: 'node', reason: 'node is not installed' },
    ]);
  });

  it('fails with every reason when nothing starts', async () => {
    await expect(
      selectBackend(['node', 'cpu'], async (name) => {
        throw new Error(`no ${name}`);
      }),
    ).rejects.toThrow('no TensorFlow.js backend could start (node: no node; cpu: no cpu)');
  });

  it('activates the backend it names', async () => {
    expect(await initBackend('wasm', 'inference')).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(await initBackend('cpu', 'training')).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
  });
});
