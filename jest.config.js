// Projects: `infra` (CDK template tests), `lambda` (handlers, cores, emulator tests), `cli` (the
// readroom command and the pure domain/ it shares with the functions), `web` (viewer and portal code
// run in Node) and `browser` (real Chromium; see test/helpers/browser.ts).
// @swc/jest instead of ts-jest: it transpiles without type checking (tsc does that in `npm run build`)
// and keeps the suite fast on two cores.
const transform = { '^.+\\.tsx?$': ['@swc/jest', { jsc: { target: 'es2022' } }] };
const common = { testEnvironment: 'node', transform, moduleFileExtensions: ['ts', 'js', 'json'] };
module.exports = {
  // Emulator and synth tests wait on real processes (moto can take seconds to start or exit); on a
  // busy 2-core CI machine jest's 5 s is too short. A global option: jest ignores it inside
  // `projects`, which is where it sat before and why a slow moto exit once failed a suite.
  testTimeout: 60_000,
  projects: [
    { ...common, displayName: 'infra', testMatch: ['<rootDir>/test/infra/**/*.test.ts'] },
    { ...common, displayName: 'lambda', testMatch: ['<rootDir>/test/lambda/**/*.test.ts', '<rootDir>/test/local/**/*.test.ts'] },
    { ...common, displayName: 'cli', testMatch: ['<rootDir>/test/cli/**/*.test.ts', '<rootDir>/test/domain/**/*.test.ts'] },
    // Browser-side code (viewer, portal sign-in) tested in Node: it is written to run in both.
    { ...common, displayName: 'web', testMatch: ['<rootDir>/test/viewer/**/*.test.ts', '<rootDir>/test/portal/**/*.test.ts'] },
    // Real Chromium (Debian's, driven by playwright-core): test/helpers/browser.ts.
    { ...common, displayName: 'browser', testMatch: ['<rootDir>/test/browser/**/*.test.ts'] },
  ],
};
