/**
 * The direction of imports: domain/ is pure (no aws-cdk-lib, no AWS SDK, no node: modules, nothing
 * of lib/, lambda/ or cli/), and the CLI never imports lambda/ (it shares only domain/ and lib/config).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) return tsFiles(p);
    return p.endsWith('.ts') ? [p] : [];
  });
}

const importsOf = (file: string) => [...readFileSync(file, 'utf8').matchAll(/(?:from|import|require\()\s*['"]([^'"]+)['"]/g)].map((m) => m[1]);

test('domain/ imports only zod and itself', () => {
  const bad = tsFiles(path.join(ROOT, 'domain')).flatMap((f) =>
    importsOf(f)
      .filter((spec) => !(spec === 'zod' || (spec.startsWith('.') && path.resolve(path.dirname(f), spec).startsWith(path.join(ROOT, 'domain')))))
      .map((spec) => `${path.relative(ROOT, f)}: ${spec}`),
  );
  expect(bad).toEqual([]);
});

test('cli/ never imports lambda/', () => {
  const bad = tsFiles(path.join(ROOT, 'cli')).flatMap((f) =>
    importsOf(f)
      .filter((spec) => spec.startsWith('.') && path.resolve(path.dirname(f), spec).startsWith(path.join(ROOT, 'lambda')))
      .map((spec) => `${path.relative(ROOT, f)}: ${spec}`),
  );
  expect(bad).toEqual([]);
});
