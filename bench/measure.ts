/** Throughput of a repeated piece of work: warm-up runs first, then timed runs until the budget is spent. */
export interface Budget {
  warmups: number;
  /** Timed runs go on until this many seconds have passed (at least one run). */
  seconds: number;
  maxRuns: number;
}

export function throughput(unitsPerRun: number, budget: Budget, run: () => void): number {
  for (let i = 0; i < budget.warmups; i++) run();
  const start = performance.now();
  let runs = 0;
  do {
    run();
    runs++;
  } while (runs < budget.maxRuns && performance.now() - start < budget.seconds * 1000);
  return (unitsPerRun * runs * 1000) / (performance.now() - start);
}

/** Peak resident set size of this process so far, in MiB. */
export function peakRssMb(): number {
  return process.resourceUsage().maxRSS / 1024;
}

/**
 * The environment the benchmark's measuring processes run in, TensorFlow.js and PyTorch alike. glibc
 * serves each block over 32 MiB with a fresh mmap and unmaps it on free, so every [256, 50,000]
 * logits tensor of the full softmax (51 MB) paid about 12,500 page faults per allocation; these
 * settings keep freed blocks for reuse instead (full-softmax training went from about 910 to 1,240
 * sequences/s on node). A GLIBC_TUNABLES already set is kept.
 */
export function measuringEnv(): NodeJS.ProcessEnv {
  return {
    GLIBC_TUNABLES: 'glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=4294967295',
    ...process.env,
  };
}
