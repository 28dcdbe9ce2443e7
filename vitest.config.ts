import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['{runtime,relayer,server,cli,dev,functions,contracts,test}/**/*.test.ts'],
    exclude: ['**/node_modules/**', 'dist/**'],
    globalSetup: ['test/support/globalSetup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Tests spawn real Redis, anvil and chopsticks; two cores do not gain from more forks.
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
  },
})
