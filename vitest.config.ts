import { defineConfig } from 'vitest/config';

// Tests compile and run real C programs: forks isolate native addons (tree-sitter, koffi) per file,
// and the generous timeouts are for builds of real Debian packages on a 2-core machine.
// VITEST_JSON_REPORT (set by .ci/run) also writes a JSON summary for CI.
const jsonReport = process.env.VITEST_JSON_REPORT;

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    testTimeout: 600_000,
    hookTimeout: 1_200_000,
    maxWorkers: 2,
    reporters: jsonReport ? ['default', 'json'] : ['default'],
    outputFile: jsonReport ? { json: jsonReport } : undefined,
  },
});
