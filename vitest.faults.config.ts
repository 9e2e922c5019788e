import { defineConfig } from 'vitest/config';

/**
 * `npm run test:faults`: tests that kill workers and restart Kafka and Redis. They run on a stack
 * instance of their own (free ports, state in a temporary folder), never on the shared one.
 */
export default defineConfig({
  test: {
    include: ['test/faults/**/*.fault.test.ts'],
    reporters: ['default', './test/helpers/summaryReporter.ts'],
    globalSetup: ['test/faults/faultStackSetup.ts'],
    fileParallelism: false,
    testTimeout: 600_000,
    hookTimeout: 300_000,
  },
});
