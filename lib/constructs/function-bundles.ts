import { cpSync, existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

/** Root of the function sources: `lambda/<name>/handler.ts`. */
export const LAMBDA_ROOT = path.join(__dirname, '..', '..', 'lambda');

/** The production esbuild options, in one place (the benchmarks reuse them). */
export const BUNDLE_OPTIONS = {
  bundle: true,
  minify: true,
  sourcemap: true,
  sourcesContent: false,
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  legalComments: 'none',
  logLevel: 'error',
} as const;

/** Output folders of builds already made in this process, by their `define` set. */
const builds = new Map<string, string>();

/**
 * Copies the bundle of function `name` (`index.js` + source map) into `outputDir`.
 *
 * Every function is bundled in ONE in-process esbuild run with one entry point per function, made
 * the first time any function of a study asks for it: the functions share most of their modules
 * (SDK clients, zod, the domain core), and building them together takes about a quarter of the
 * time of one esbuild process per function (see docs/benchmarks.md). No Docker, ever.
 */
export function copyBundle(name: string, define: Record<string, string>, outputDir: string): void {
  const key = JSON.stringify(define);
  let dir = builds.get(key);
  if (!dir) {
    dir = mkdtempSync(path.join(tmpdir(), 'readroom-bundles-'));
    const names = readdirSync(LAMBDA_ROOT).filter((n) => existsSync(path.join(LAMBDA_ROOT, n, 'handler.ts')));
    // Loaded here, not at the top: only synthesis with bundling needs esbuild (a devDependency).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const esbuild = require('esbuild') as typeof import('esbuild');
    esbuild.buildSync({
      ...BUNDLE_OPTIONS,
      entryPoints: Object.fromEntries(names.map((n) => [`${n}/index`, path.join(LAMBDA_ROOT, n, 'handler.ts')])),
      outdir: dir,
      define,
    });
    builds.set(key, dir);
  }
  const built = path.join(dir, name);
  if (!existsSync(path.join(built, 'index.js'))) throw new Error(`No function lambda/${name}/handler.ts to bundle`);
  cpSync(built, outputDir, { recursive: true });
}
