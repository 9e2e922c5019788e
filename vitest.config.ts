import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // They restart brokers and Redis on a stack of their own: `npm run test:faults`.
    exclude: ['test/faults/**', '**/node_modules/**'],
    reporters: ['default', './test/helpers/summaryReporter.ts'],
    globalSetup: ['test/helpers/globalSetup.ts'],
    // Integration tests share one Kafka broker and two cores; running files one at a time keeps
    // consumer-group timing predictable.
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 180_000,
  },
});
