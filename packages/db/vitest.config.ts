import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Real databases and the wasm schema engine: seconds, not milliseconds, on 2 cores.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
