/**
 * Nothing the repository names is missing: the folders tsconfig.json compiles, the files
 * package.json's bins and scripts run, the app and watch paths of cdk.json, and every path the
 * README names (its "Repository layout" block line by line, and every backticked path elsewhere).
 * A newcomer follows these first; a stale one costs them the first hour.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');
/** Top-level folders .gitignore names (`name/`): generated, so neither documented nor required. */
const IGNORED = read('.gitignore')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => /^[^/#*]+\/$/.test(l))
  .map((l) => l.slice(0, -1));
/** Top-level entries a README path may start with (generated folders excluded). */
const TOP = new Set(readdirSync(ROOT).filter((n) => n !== '.git' && !IGNORED.includes(n)));

/**
 * Whether a repository path exists. `<name>` stands for any one entry (`lambda/<fn>/`,
 * `studies/<id>.json`); a trailing `/` must be a folder.
 */
function exists(name: string): boolean {
  const parts = name.replace(/\/$/, '').split('/');
  let candidates = [ROOT];
  for (const part of parts) {
    const pattern = new RegExp(`^${part.replace(/[.+^$()|[\]\\]/g, '\\$&').replace(/<[^>]+>/g, '[^/]+').replace(/\*/g, '[^/]*')}$`);
    candidates = candidates.flatMap((dir) => (statSync(dir).isDirectory() ? readdirSync(dir).filter((e) => pattern.test(e)).map((e) => path.join(dir, e)) : []));
  }
  return candidates.some((p) => !name.endsWith('/') || statSync(p).isDirectory());
}

describe('tsconfig.json', () => {
  const tsconfig = JSON.parse(read('tsconfig.json')) as { include: string[] };
  test.each(tsconfig.include)('includes %s, which exists', (entry) => expect(exists(entry)).toBe(true));
});

describe('package.json', () => {
  const pkg = JSON.parse(read('package.json')) as { bin: Record<string, string>; scripts: Record<string, string> };

  test.each(Object.entries(pkg.bin))('bin %s → %s exists (built by `npm ci`, which runs prepare = npm run build:cli)', (_name, file) => {
    expect({ file, exists: existsSync(path.join(ROOT, file)) }).toEqual({ file, exists: true });
  });

  /** Source files a script runs: `tsx <file>`, `esbuild <file>`. */
  const scriptFiles = Object.entries(pkg.scripts).flatMap(([script, line]) => [...line.matchAll(/(?:tsx|esbuild)\s+([\w./-]+\.ts)/g)].map((m) => [script, m[1]] as const));
  test('the scripts name some source files', () => expect(scriptFiles.length).toBeGreaterThanOrEqual(4));
  test.each(scriptFiles)('script %s runs %s, which exists', (_script, file) => expect(exists(file)).toBe(true));
});

describe('cdk.json', () => {
  const cdk = JSON.parse(read('cdk.json')) as { app: string; watch: { include: string[] } };
  // node --import tsx, not npx tsx: the same TypeScript loader without npx's lookup and tsx's
  // relaying parent process (1.9 s of CPU per synth start against 0.6 s).
  test('its app is bin/app.ts, which exists', () => {
    expect(cdk.app).toBe('node --import tsx bin/app.ts');
    expect(exists('bin/app.ts')).toBe(true);
  });
  test.each(cdk.watch.include)('watches %s, which exists', (glob) => expect(exists(glob.replace(/\/\*\*$/, '/'))).toBe(true));
});

describe('README.md', () => {
  const readme = read('README.md');

  test('its "Repository layout" block: every line starts with a path that exists, and every top-level folder is in it', () => {
    const section = readme.split(/^## /m).find((s) => s.startsWith('Repository layout'));
    const block = section?.match(/```\n([\s\S]*?)```/)?.[1];
    expect(block).toBeDefined();
    const named = block!
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split(/\s+/)[0]);
    expect(named.filter((p) => !exists(p))).toEqual([]);
    const topFolders = [...TOP].filter((n) => statSync(path.join(ROOT, n)).isDirectory() && !n.startsWith('.'));
    expect(topFolders.filter((dir) => !named.some((p) => p.split('/')[0] === dir))).toEqual([]);
  });

  test('every repository path it names in backticks exists', () => {
    const named = [...readme.matchAll(/`([^`\s]+)`/g)]
      .map((m) => m[1].replace(/[.,:;]+$/, ''))
      .filter((p) => TOP.has(p.split('/')[0]) && (p.includes('/') || p.includes('.')));
    expect(named.length).toBeGreaterThan(20);
    expect([...new Set(named)].filter((p) => !exists(p))).toEqual([]);
  });

  test('the checker itself finds a missing path, a placeholder and a file that is not a folder', () => {
    expect(exists('lib/constructs/no-such-construct.ts')).toBe(false);
    expect(exists('lambda/<fn>/handler.ts')).toBe(true);
    expect(exists('README.md/')).toBe(false);
  });
});
