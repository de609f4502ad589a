// Two projects: `infra` (CDK template tests) and `lambda` (handlers, cores, emulator tests).
// @swc/jest instead of ts-jest: it transpiles without type checking (tsc does that in `npm run build`)
// and keeps the suite fast on two cores.
const transform = { '^.+\\.tsx?$': ['@swc/jest', { jsc: { target: 'es2022' } }] };
// Emulator and synth tests wait on real processes; on a busy 2-core CI machine jest's 5 s is too short.
const common = { testEnvironment: 'node', transform, moduleFileExtensions: ['ts', 'js', 'json'], testTimeout: 60_000 };
module.exports = {
  projects: [
    { ...common, displayName: 'infra', testMatch: ['<rootDir>/test/infra/**/*.test.ts'] },
    { ...common, displayName: 'lambda', testMatch: ['<rootDir>/test/lambda/**/*.test.ts', '<rootDir>/test/local/**/*.test.ts'] },
  ],
};
