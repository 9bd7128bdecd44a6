import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  resolve: {
    alias: [
      { find: /^sluice\/connectors\/(.*)$/, replacement: here('./connectors/$1/index.ts') },
      // The package's other entries (package.json#exports), each a folder's index.
      { find: /^sluice\/(runtime|server|testing|client|react|widget)$/, replacement: here('./src/$1/index.ts') },
      { find: /^sluice$/, replacement: here('./src/index.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // The runtime's JSON log stays out of test output (and of the processes tests start) unless
    // asked for; tests about logging set their own level.
    env: { SLUICE_LOG_LEVEL: process.env.SLUICE_LOG_LEVEL ?? 'warn' },
  },
});
