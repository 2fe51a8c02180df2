import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // PGlite instances are heavy (~350 MB each); two workers keep the 2-core machines responsive.
    maxWorkers: 2,
    globalSetup: ['test/helpers/global-setup.ts'],
  },
});
