// `npm run test:reliability`: the long fault tests of quality.md (test/reliability/), which spawn the real
// service, kill it and stop databases under it. One file at a time: each one loads the machine on its own.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/reliability/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
