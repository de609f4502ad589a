// Two projects: `infra` (CDK template tests) and `lambda` (handlers, cores, emulator tests).
// @swc/jest instead of ts-jest: it transpiles without type checking (tsc does that in `npm run build`)
// and keeps the suite fast on two cores.
const transform = { '^.+\\.tsx?$': ['@swc/jest', { jsc: { target: 'es2022' } }] };
const common = { testEnvironment: 'node', transform, moduleFileExtensions: ['ts', 'js', 'json'] };
module.exports = {
  projects: [
    { ...common, displayName: 'infra', testMatch: ['<rootDir>/test/infra/**/*.test.ts'] },
    { ...common, displayName: 'lambda', testMatch: ['<rootDir>/test/lambda/**/*.test.ts', '<rootDir>/test/local/**/*.test.ts'] },
  ],
};
