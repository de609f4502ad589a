// Projects: `infra` (CDK template tests), `lambda` (handlers, cores, emulator tests), `cli` (the
// readroom command and the pure domain/ it shares with the functions), `web` (viewer and portal code
// run in Node) and `browser` (real Chromium; see test/helpers/browser.ts).
// @swc/jest instead of ts-jest: it transpiles without type checking (tsc does that in `npm run build`)
// and keeps the suite fast on two cores.
const transform = { '^.+\\.tsx?$': ['@swc/jest', { jsc: { target: 'es2022' } }] };
// Quiet: what the code under test prints is shown only for a failing test (test/helpers/quiet-environment.ts).
const common = { testEnvironment: '<rootDir>/test/helpers/quiet-environment.ts', transform, moduleFileExtensions: ['ts', 'js', 'json'] };
// `lambda` checks for the AWS emulator first (failing at once with the install command) and starts one
// moto per worker for the whole run (test/helpers/global-setup.ts); the other projects' moto files
// use their worker's too when the run has them (`testMoto` in test/helpers/moto.ts: the lambda
// project's set-up runs for the whole run, and the workers are shared). `cli` and `web` have no
// global setup of their own: run alone, each moto file starts its own and says how to install it
// when it is missing (local/moto.ts), and the check alone cost a Python start importing moto
// (1–3 s) per project, one after the other, before any test ran.
const emulated = { globalSetup: '<rootDir>/test/helpers/global-setup.ts' };
module.exports = {
  // Emulator and synth tests wait on real processes (moto can take seconds to start or exit); on a
  // busy 2-core CI machine jest's 5 s is too short. A global option: jest ignores it inside
  // `projects`, which is where it sat before and why a slow moto exit once failed a suite.
  testTimeout: 60_000,
  // Jest's default on 2 cores is one worker (cores − 1): a run in band. Most of the lambda suites'
  // time is spent in moto (a Python process) and most of the infra suites' in cfn-lint and synth,
  // so two workers keep both cores busy; each has its own moto (docs/benchmarks.md, "Test suite").
  maxWorkers: 2,
  // How long jest waits for a worker to exit after the run before it kills it and warns "A worker
  // process has failed to exit gracefully". jest's 500 ms was too short here: at the end of a full
  // run each worker holds 0.9–1.3 GB, and although its event loop is empty 35–60 ms after jest asks
  // it to end (nothing leaked: its 'exit' event fires), Node's teardown of that heap took another
  // 420–500 ms on the two busy cores, so nearly every run printed the warning. A worker that really
  // hangs is still killed, and still reported, after 5 s.
  workerGracefulExitTimeout: 5_000,
  // Browser files never side by side when it can be helped (test/helpers/sequencer.js).
  testSequencer: '<rootDir>/test/helpers/sequencer.js',
  // One temporary folder per run, removed at its end (TMPDIR points into it).
  globalSetup: '<rootDir>/test/helpers/run-temp-setup.ts',
  globalTeardown: '<rootDir>/test/helpers/run-temp-teardown.ts',
  projects: [
    // `infra` loads aws-cdk-lib, constructs and cdk-nag once per worker, not once per file
    // (test/infra/shared-cdk.ts); its environment is the quiet one plus Node's require for that.
    {
      ...common,
      displayName: 'infra',
      testEnvironment: '<rootDir>/test/infra/environment.ts',
      setupFiles: ['<rootDir>/test/infra/shared-cdk.ts'],
      testMatch: ['<rootDir>/test/infra/**/*.test.ts'],
    },
    {
      ...common,
      ...emulated,
      globalTeardown: '<rootDir>/test/helpers/global-teardown.ts',
      displayName: 'lambda',
      testMatch: ['<rootDir>/test/lambda/**/*.test.ts', '<rootDir>/test/local/**/*.test.ts'],
    },
    { ...common, displayName: 'cli', testMatch: ['<rootDir>/test/cli/**/*.test.ts', '<rootDir>/test/domain/**/*.test.ts'] },
    // Browser-side code (viewer, portal sign-in) tested in Node: it is written to run in both.
    { ...common, displayName: 'web', testMatch: ['<rootDir>/test/viewer/**/*.test.ts', '<rootDir>/test/portal/**/*.test.ts'] },
    // Real Chromium (Debian's, driven by playwright-core): test/helpers/browser.ts; one per jest
    // worker, kept from file to file (test/browser/environment.ts).
    { ...common, displayName: 'browser', testEnvironment: '<rootDir>/test/browser/environment.ts', testMatch: ['<rootDir>/test/browser/**/*.test.ts'] },
  ],
};
