/**
 * The direction of imports, so the tree keeps reading like the architecture:
 *
 *  - domain/ is pure: it imports only itself and zod (no aws-cdk-lib, no AWS SDK, no node:
 *    modules, nothing of lib/, lambda/, cli/);
 *  - lambda/ never imports lib/ (the functions share domain/, never the CDK app's code);
 *  - lib/ imports from lambda/ only each function's env.ts, and only its types (the environment
 *    contract; nothing of the runtime ends up in the CDK app);
 *  - lib/ imports from portal/ only csp.ts (the Content-Security-Policy the CloudFront headers
 *    carry: one definition for the local room and AWS) and build.ts (the build recipe, run at
 *    synth): never the portal's pages or its client code;
 *  - cli/ never imports lambda/ (it shares only domain/ and lib/config);
 *  - portal/ and viewer/ import only domain/, themselves and packages (npm, node:): they speak to
 *    the API over HTTP.
 *
 * Tests may import anything.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');

function tsFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    if (name === 'node_modules') return [];
    if (statSync(p).isDirectory()) return tsFiles(p);
    return p.endsWith('.ts') ? [p] : [];
  });
}

interface Import {
  /** The file, relative to the repository root. */
  file: string;
  spec: string;
  /** The repository folder a relative import lands in (`domain`, `lambda`, …); undefined for packages. */
  top?: string;
  /** The path it resolves to, relative to the root (relative imports only). */
  target?: string;
  /** `import type …` / `export type … from`: erased at compile time. */
  typeOnly: boolean;
}

// Static imports and re-exports (`import … from`, `export … from`, `import '…'`), require() and import().
const IMPORT = /(?:^|[;\s])(import|export)(\s+type)?\s[^'"`;]*?from\s*['"]([^'"]+)['"]|(?:^|[;\s])import\s*['"]([^'"]+)['"]|(?:require|import)\(\s*['"]([^'"]+)['"]\s*\)/gm;

function importsOf(file: string): Import[] {
  const text = readFileSync(file, 'utf8');
  const rel = path.relative(ROOT, file);
  return [...text.matchAll(IMPORT)].map((m) => {
    const spec = m[3] ?? m[4] ?? m[5];
    const typeOnly = m[2] !== undefined;
    if (!spec.startsWith('.')) return { file: rel, spec, typeOnly };
    const target = path.relative(ROOT, path.resolve(path.dirname(file), spec));
    return { file: rel, spec, typeOnly, target, top: target.split(path.sep)[0] };
  });
}

const importsUnder = (folder: string) => tsFiles(path.join(ROOT, folder)).flatMap(importsOf);
const describeImport = (i: Import) => `${i.file}: ${i.spec}`;

test('domain/ imports only zod and itself', () => {
  const bad = importsUnder('domain').filter((i) => !(i.spec === 'zod' || i.top === 'domain'));
  expect(bad.map(describeImport)).toEqual([]);
});

test('lambda/ never imports lib/', () => {
  const bad = importsUnder('lambda').filter((i) => i.top === 'lib');
  expect(bad.map(describeImport)).toEqual([]);
});

test("lib/ imports from lambda/ only a function's env.ts, type-only", () => {
  const envModule = /^lambda\/[a-z-]+\/env$/;
  const bad = importsUnder('lib').filter((i) => i.top === 'lambda' && !(i.typeOnly && envModule.test(i.target!.split(path.sep).join('/'))));
  expect(bad.map(describeImport)).toEqual([]);
});

test('lib/ imports from portal/ only csp.ts and build.ts', () => {
  const allowed = new Set(['portal/csp', 'portal/build']);
  const fromLib = importsUnder('lib').filter((i) => i.top === 'portal');
  expect(fromLib.filter((i) => !allowed.has(i.target!.split(path.sep).join('/'))).map(describeImport)).toEqual([]);
  // The rule is about imports that exist: the portal's hosting takes its CSP from portal/csp.ts.
  expect(fromLib.map((i) => i.target!.split(path.sep).join('/'))).toContain('portal/csp');
});

test('cli/ never imports lambda/', () => {
  const bad = importsUnder('cli').filter((i) => i.top === 'lambda');
  expect(bad.map(describeImport)).toEqual([]);
});

test.each(['portal', 'viewer'])('%s/ imports only domain/, itself and packages', (folder) => {
  const bad = importsUnder(folder).filter((i) => i.top !== undefined && i.top !== folder && i.top !== 'domain');
  expect(bad.map(describeImport)).toEqual([]);
});

// The checker itself: each rule must see the imports it is about, or an empty list proves nothing.
test('the import scanner finds static, type-only, side-effect, require and dynamic imports', () => {
  const sample = path.join(ROOT, 'test', 'domain', 'boundaries.test.ts');
  const found = importsOf(sample).map((i) => i.spec);
  expect(found).toEqual(expect.arrayContaining(['node:fs', 'node:path']));
  const text = [
    "import type { A } from '../lambda/x/env';",
    "import { b } from './b';",
    "export * from '../domain/c';",
    "import './side-effect';",
    "const d = require('../lib/d');",
    "const e = await import('../cli/e');",
    "import {\n  f,\n  g,\n} from 'zod';",
  ].join('\n');
  const specs = [...text.matchAll(IMPORT)].map((m) => [m[3] ?? m[4] ?? m[5], m[2] !== undefined]);
  expect(specs).toEqual([
    ['../lambda/x/env', true],
    ['./b', false],
    ['../domain/c', false],
    ['./side-effect', false],
    ['../lib/d', false],
    ['../cli/e', false],
    ['zod', false],
  ]);
});
