/**
 * Four suites (see docs/development.md): unit tests have no network; workflow,
 * conformance and integration tests open servers on loopback only.
 * TypeScript is transpiled per file (type-checking is `npm run typecheck`),
 * and @middy, which ships ESM only, is transpiled to CommonJS with it.
 */
const transform = {
  '^.+\\.[tj]s$': [
    'ts-jest',
    { tsconfig: { allowJs: true, module: 'commonjs', moduleResolution: 'node10', isolatedModules: true } },
  ],
};
const common = {
  transform,
  transformIgnorePatterns: ['/node_modules/(?!@middy/)'],
  testEnvironment: 'node',
  setupFiles: ['<rootDir>/test/setup.ts'],
};

module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    { ...common, displayName: 'workflows', testMatch: ['<rootDir>/test/workflows/**/*.test.ts'] },
    { ...common, displayName: 'conformance', testMatch: ['<rootDir>/test/conformance/**/*.test.ts'] },
    { ...common, displayName: 'integration', testMatch: ['<rootDir>/test/integration/**/*.test.ts'] },
  ],
};
