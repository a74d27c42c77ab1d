/** Jest runs the TypeScript sources as ESM (ts-jest, transpile only; `tsc` type-checks in `npm run build`). */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, diagnostics: false }]
  },
  testMatch: ['<rootDir>/__tests__/**/*.test.ts'],
  // Removes the folders the harness made for each action run (testbed/harness.ts).
  setupFilesAfterEnv: ['<rootDir>/__tests__/after-each-file.ts'],
  testTimeout: 60000,
  // Most of an end-to-end test is waiting on the test bed's latency: two files at once use 2 cores.
  maxWorkers: 2
}
