import { defineConfig } from 'vitest/config';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export default defineConfig({
  root,
  test: {
    include: ['test/**/*.test.ts'],
    // Integration and end-to-end tests share one kernel store and one VM at a time:
    // run files one after another so two cores are not oversubscribed.
    fileParallelism: false,
    // a bound against hangs, not a speed check: shared machines are slow at times
    testTimeout: 600_000,
    hookTimeout: 900_000,
    reporters: ['default'],
  },
});
