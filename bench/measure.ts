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
