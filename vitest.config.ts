import { defineConfig } from 'vitest/config';

export default defineConfig({
  esbuild: { jsx: 'automatic' },
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    globalSetup: ['test/helpers/global-setup.ts'],
    // Tests never depend on this machine's /etc/ssh/ssh_config; the ones about it pass a file.
    env: { TUNNELVISION_SYSTEM_SSH_CONFIG: 'none' },
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Real sshd instances and sockets: files run in parallel processes, tests inside a file in order.
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    reporters: process.env.CI ? ['verbose', 'json'] : ['default'],
    outputFile: { json: 'test-artifacts/vitest.json' },
  },
});
