/**
 * Builds the portal into a folder of static files (index.html, portal.js, portal.css) that any
 * web server can serve beside a config.json (README "config.json"): S3 behind CloudFront, the local
 * room, a test. `tsx portal/build.ts [outdir]` (default portal/dist) prints the script's size, raw
 * and gzipped; `buildPortal()` does the same from code and also returns esbuild's metafile (the
 * bench breaks the size down with it).
 */
import { build, buildSync, type BuildOptions, type Metafile } from 'esbuild';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { PORTAL_META_CSP } from './csp';

const HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${PORTAL_META_CSP}">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>ReadRoom</title>
<link rel="stylesheet" href="portal.css">
<script src="portal.js" defer></script>
</head>
<body>
<div id="app"><noscript>ReadRoom needs JavaScript. / ReadRoom을 사용하려면 JavaScript가 필요합니다.</noscript></div>
</body>
</html>
`;

export interface PortalBuild {
  outdir: string;
  jsBytes: number;
  jsGzipBytes: number;
  metafile: Metafile;
}

/** The one esbuild recipe of the portal (the CDK app's synth-time build uses it too). */
export function portalBuildOptions(outdir: string, minify = true): BuildOptions & { metafile: true } {
  return {
    entryPoints: [join(__dirname, 'src', 'main.tsx')],
    bundle: true,
    minify,
    format: 'iife',
    target: ['chrome110', 'firefox110', 'safari16'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    outfile: join(outdir, 'portal.js'),
    metafile: true,
    legalComments: 'none',
    logLevel: 'warning',
  };
}

/** The files beside portal.js that are not built: the style sheet and the page (whose paths are inputs too). */
export const PORTAL_STATIC_INPUTS = [join(__dirname, 'src', 'portal.css'), __filename, join(__dirname, 'csp.ts')];

function writeStatic(outdir: string): void {
  writeFileSync(join(outdir, 'portal.css'), readFileSync(join(__dirname, 'src', 'portal.css')));
  writeFileSync(join(outdir, 'index.html'), HTML);
}

export async function buildPortal(outdir = join(__dirname, 'dist'), minify = true): Promise<PortalBuild> {
  mkdirSync(outdir, { recursive: true });
  const result = await build(portalBuildOptions(outdir, minify));
  writeStatic(outdir);
  const js = readFileSync(join(outdir, 'portal.js'));
  return { outdir, jsBytes: js.length, jsGzipBytes: gzipSync(js, { level: 9 }).length, metafile: result.metafile };
}

/**
 * The same build, synchronous (CDK's asset bundling is synchronous). Returns every file it read,
 * absolute, so a cache can tell when the output is stale.
 */
export function buildPortalSync(outdir: string): string[] {
  mkdirSync(outdir, { recursive: true });
  const result = buildSync(portalBuildOptions(outdir));
  writeStatic(outdir);
  return [...Object.keys(result.metafile.inputs).map((p) => resolve(p)), ...PORTAL_STATIC_INPUTS];
}

if (require.main === module) {
  buildPortal(process.argv[2] ? resolve(process.argv[2]) : undefined)
    .then((b) => console.log(`portal built in ${b.outdir}: portal.js ${b.jsBytes} bytes, ${b.jsGzipBytes} gzipped`))
    .catch((e: unknown) => {
      console.error(e);
      process.exit(1);
    });
}
