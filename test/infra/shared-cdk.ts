/**
 * aws-cdk-lib, constructs and cdk-nag come from Node's module cache, loaded once per jest worker,
 * instead of into each test file's own module registry (jest.config.js, the infra project).
 *
 * Why: the first synth in a file cost ≈ 2.5 s of CPU, most of it loading and first running ≈ 400
 * of aws-cdk-lib's modules; the next synth in the same process ≈ 0.5–0.9 s. With 17 infra files
 * that was paid 17 times. jest cannot share its registry between files, but a module it is told to
 * replace (`jest.mock` with a factory) can be Node's own: every `import … from 'aws-cdk-lib…'` in a
 * test or in lib/ then gets the one copy the worker has already loaded. aws-cdk-lib marks its
 * classes with `Symbol.for` brands (same in every realm), so the test file's own globals do not get
 * in the way; the construct trees are each test's own (a new App per test or per file).
 *
 * Every entry point aws-cdk-lib exports is covered (its package.json `exports`), so no file can
 * get a second copy of aws-cdk-lib's core beside the shared one.
 */
declare const __readroomNodeRequire: NodeRequire;

const { exports: entryPoints } = require('aws-cdk-lib/package.json') as { exports: Record<string, unknown> };
const subpaths = Object.keys(entryPoints)
  .filter((k) => /^\.\/[a-z]/.test(k) && !k.endsWith('.json'))
  .map((k) => `aws-cdk-lib/${k.slice(2)}`);

for (const name of ['aws-cdk-lib', ...subpaths, 'constructs', 'cdk-nag']) jest.mock(name, () => __readroomNodeRequire(name));
