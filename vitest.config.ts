import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration files share one Redis and one PostgreSQL; each uses its own key prefix / schema,
    // but running files one at a time keeps the 2-core machine's timing-free tests calm.
    fileParallelism: false,
    reporters: ['default'],
  },
});
