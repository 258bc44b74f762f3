import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // Generous: real servers start on a loaded 2-core machine. Timing targets live in `npm run bench`.
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
