import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

/** Root of the function sources: `lambda/<name>/handler.ts`. */
export const LAMBDA_ROOT = path.join(__dirname, '..', '..', 'lambda');

/** Where finished builds are kept between synths (see `buildBundles`). */
export const BUNDLE_CACHE_DIR = path.join(__dirname, '..', '..', 'node_modules', '.cache', 'readroom-bundles');

/** The production esbuild options, in one place (the benchmarks reuse them). */
export const BUNDLE_OPTIONS = {
  bundle: true,
  minify: true,
  sourcemap: true,
  sourcesContent: false,
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  // The SDK clients' ES module builds (dist-es) let esbuild drop the commands a function never
  // sends; their CommonJS builds are one file per client (the Cognito client alone added 125 KB
  // to the coordinator for one command, and pushed it past the 1 MB bundle target).
  mainFields: ['module', 'main'] as string[],
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
 * (the SDK clients of lambda/runtime/clients/<service>.ts, zod, domain/), and building them
 * together takes about a quarter of the time of one esbuild process per function (see
 * docs/benchmarks.md). Each bundle keeps only the clients its function imports. No Docker, ever.
 */
export function copyBundle(name: string, define: Record<string, string>, outputDir: string): void {
  const key = JSON.stringify(define);
  let dir = builds.get(key);
  if (!dir) {
    dir = buildBundles({ root: LAMBDA_ROOT, define, cacheDir: process.env.READROOM_BUNDLE_CACHE === '0' ? undefined : BUNDLE_CACHE_DIR });
    builds.set(key, dir);
  }
  const built = path.join(dir, name);
  if (!existsSync(path.join(built, 'index.js'))) throw new Error(`No function lambda/${name}/handler.ts to bundle`);
  cpSync(built, outputDir, { recursive: true });
}

export interface BuildBundlesOptions {
  /** Folder with one `<name>/handler.ts` per function. */
  readonly root: string;
  /** esbuild `define` (the study's constants inlined at build time). */
  readonly define: Record<string, string>;
  /** Keep builds here between processes; undefined builds every time. */
  readonly cacheDir?: string;
}

/**
 * Builds every function under `root` and returns the output folder (`<name>/index.js`).
 *
 * With a cache folder, a finished build is kept with the list of every file esbuild read (from its
 * metafile). A later synth reuses it only when a key over the options, the esbuild version, the
 * `define` set, the folder layout under `root` and the CONTENT of each of those files is the same,
 * so any edit to a handler, a shared module, the config code or an installed package rebuilds.
 * Hashing ~1,000 files takes a few tens of ms; the build it saves takes about a second.
 */
export function buildBundles(opts: BuildBundlesOptions): string {
  // Loaded here, not at the top: only synthesis with bundling needs esbuild (a devDependency).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const esbuild = require('esbuild') as typeof import('esbuild');
  const names = readdirSync(opts.root).filter((n) => existsSync(path.join(opts.root, n, 'handler.ts'))).sort();
  const baseKey = JSON.stringify({ BUNDLE_OPTIONS, version: esbuild.version, define: opts.define, layout: listTree(opts.root) });
  return cachedBuild(opts.cacheDir, baseKey, (out) => {
    const result = esbuild.buildSync({
      ...BUNDLE_OPTIONS,
      entryPoints: Object.fromEntries(names.map((n) => [`${n}/index`, path.join(opts.root, n, 'handler.ts')])),
      outdir: out,
      define: opts.define,
      metafile: true,
    });
    // metafile paths are relative to the working directory; keep them absolute.
    return Object.keys(result.metafile.inputs).map((p) => path.resolve(p));
  });
}

/**
 * Runs `build(out)` into a fresh folder, or reuses a finished one. `build` returns every file it
 * read; the entry is reused only when `baseKey` (options, tool version, layout) and the CONTENT of
 * each of those files are the same. Without a cache folder it builds every time.
 */
export function cachedBuild(cacheDir: string | undefined, baseKey: string, build: (out: string) => string[]): string {
  const slot = cacheDir && path.join(cacheDir, sha256(baseKey).slice(0, 32));

  if (slot && existsSync(path.join(slot, 'inputs.json'))) {
    const { key, inputs } = JSON.parse(readFileSync(path.join(slot, 'inputs.json'), 'utf8')) as { key: string; inputs: string[] };
    if (key === contentKey(baseKey, inputs)) {
      const now = new Date();
      utimesSync(slot, now, now); // recently used: `prune` keeps it
      return path.join(slot, 'out');
    }
  }

  const out = mkdtempSync(path.join(tmpdir(), 'readroom-bundles-'));
  const inputs = [...new Set(build(out))].sort();
  if (!slot) return out;

  const staged = `${slot}.${process.pid}.tmp`;
  rmSync(staged, { recursive: true, force: true });
  mkdirSync(staged, { recursive: true });
  cpSync(out, path.join(staged, 'out'), { recursive: true });
  writeFileSync(path.join(staged, 'inputs.json'), JSON.stringify({ key: contentKey(baseKey, inputs), inputs }));
  // Swap in whole, so a concurrent synth never sees half a cache entry.
  rmSync(slot, { recursive: true, force: true });
  try {
    renameSync(staged, slot);
  } catch {
    rmSync(staged, { recursive: true, force: true }); // another process won the race; its entry is as good
  }
  prune(cacheDir!, slot);
  return out;
}

/** Keeps the cache small: the entry just written and the most recently used others. */
const KEEP_ENTRIES = 8;
function prune(cacheDir: string, keep: string): void {
  const entries = readdirSync(cacheDir)
    .map((n) => path.join(cacheDir, n))
    .filter((p) => p !== keep && !p.endsWith('.tmp'))
    .map((p) => ({ p, at: statSync(p).mtimeMs }))
    .sort((a, b) => b.at - a.at);
  for (const { p } of entries.slice(KEEP_ENTRIES - 1)) rmSync(p, { recursive: true, force: true });
}

function contentKey(baseKey: string, inputs: string[]): string {
  const h = createHash('sha256').update(baseKey);
  for (const file of inputs) {
    h.update(file).update('\0');
    h.update(existsSync(file) ? readFileSync(file) : 'missing').update('\0');
  }
  return h.digest('hex');
}

/** Relative paths of everything under `dir`: a new file can change what an import resolves to. */
function listTree(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((e) => (e.isDirectory() ? listTree(path.join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`]));
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
