import * as tf from '@tensorflow/tfjs';

export type NativeBackendName = 'node-gpu' | 'node';

const PACKAGES: Record<NativeBackendName, string> = {
  'node-gpu': '@tensorflow/tfjs-node-gpu',
  node: '@tensorflow/tfjs-node',
};

/** Both packages register the same 'tensorflow' backend, so a process can hold only one of them. */
let loadedPackage: string | null = null;

/**
 * Starts libtensorflow through tfjs-node(-gpu). The packages are optional: importing one fails when
 * it is not installed or when its native binding was never built (its install script needs a
 * download that many machines cannot make; `npm run native:setup` builds it from PyPI's TensorFlow).
 */
export async function startNativeBackend(name: NativeBackendName): Promise<void> {
  const wanted = PACKAGES[name];
  // The GPU build runs on the CPU too, so once loaded it also serves as the plain native backend.
  const compatible = loadedPackage === wanted || (name === 'node' && loadedPackage === PACKAGES['node-gpu']);
  if (loadedPackage && !compatible) {
    throw new Error(`${loadedPackage} is already loaded in this process`);
  }
  if (!loadedPackage) {
    try {
      await import(wanted);
    } catch (error) {
      if ((error as { code?: string }).code === 'ERR_MODULE_NOT_FOUND')
        throw new Error(`${wanted} is not installed`);
      throw error;
    }
    loadedPackage = wanted;
  }
  if (!(await tf.setBackend('tensorflow'))) throw new Error(`${loadedPackage} loaded but did not start`);
  const usingGpu = (tf.backend() as { isUsingGpuDevice?: boolean }).isUsingGpuDevice === true;
  if (name === 'node-gpu' && !usingGpu) throw new Error('libtensorflow sees no CUDA device');
}
