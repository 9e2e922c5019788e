/**
 * The V8 flags the worker is run with: in the Dockerfiles, the demo, the benchmark and the fault
 * tests. V8's defaults suit a machine with cores to spare. Its garbage collector starts helper
 * threads (four on a two-core machine) that compete with the scoring threads, Kafka and Redis for
 * the same cores, and its young generation starts at 1 MB, which a scoring thread (tens of
 * kilobytes allocated per event) fills every few hundred events. The first two turn the helpers off and
 * let the young generation grow to 32 MB. What they were measured to give is in the README
 * ("Running the worker"): about a tenth more events/s on a two-core machine, within a noise as large.
 * The third stops V8 from allocating the objects of allocation sites it judged long-lived straight
 * in the old generation. A pass in flight survives a scavenge, so the batch code's sites looked
 * long-lived, and their objects then died in the old generation: scavenges promoted about 4 MB
 * each (of a live heap of about 60 MB) and mark-compacts came every few seconds. Without it, the
 * collector took about 40% less time (docs/performance-history.md).
 * The fourth sets the old generation's limit after each mark-compact to three times what survived.
 * V8 starts marking the old generation once the room left under that limit is about what the young
 * generation could promote at once. With a 32 MB young generation, V8's own limit (about 2.3 times
 * what survived) left less room than that, so a thread began marking again soon after each
 * mark-compact ended, whatever it had promoted. In a bench:window run that made about one a
 * second; with the flag, 13 a run instead of about 60 (the README, "Running the worker").
 *
 * They go on node's command line: NODE_OPTIONS refuses --single-threaded-gc.
 */
export const WORKER_NODE_FLAGS: readonly string[] = [
  '--single-threaded-gc',
  '--max-semi-space-size=32',
  '--no-allocation-site-pretenuring',
  '--heap-growing-percent=200',
];

/** The flags of WORKER_NODE_FLAGS that the process was not started with, whatever their value. */
export function missingNodeFlags(execArgv: readonly string[] = process.execArgv): string[] {
  const name = (flag: string) => flag.split('=')[0];
  const given = new Set(execArgv.map(name));
  return WORKER_NODE_FLAGS.filter((flag) => !given.has(name(flag)));
}
