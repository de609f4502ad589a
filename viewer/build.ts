/**
 * Builds the viewer into a folder of three static files (index.html, viewer.js, viewer.css) that
 * any web server can serve: the local room, a streaming instance, a test. `tsx viewer/build.ts
 * [outdir]` (default viewer/dist) prints the script's size, raw and gzipped.
 */
import { build } from 'esbuild';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { VIEWER_CSP } from './csp';


const HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${VIEWER_CSP}">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>ReadRoom</title>
<link rel="stylesheet" href="viewer.css">
<script src="viewer.js" defer></script>
</head>
<body>
<header><h1 id="label"></h1><p id="reader"></p><button type="button" id="help-button" aria-haspopup="dialog"></button></header>
<div id="message" role="alert" hidden></div>
<main id="panes"></main>
</body>
</html>
`;

export interface ViewerBuild {
  outdir: string;
  jsBytes: number;
  jsGzipBytes: number;
}

export async function buildViewer(outdir = join(__dirname, 'dist'), minify = true): Promise<ViewerBuild> {
  mkdirSync(outdir, { recursive: true });
  await build({
    entryPoints: [join(__dirname, 'src', 'main.ts')],
    bundle: true,
    minify,
    format: 'iife',
    target: ['chrome110', 'firefox110', 'safari16'],
    outfile: join(outdir, 'viewer.js'),
    logLevel: 'warning',
  });
  writeFileSync(join(outdir, 'viewer.css'), readFileSync(join(__dirname, 'src', 'viewer.css')));
  writeFileSync(join(outdir, 'index.html'), HTML);
  const js = readFileSync(join(outdir, 'viewer.js'));
  return { outdir, jsBytes: js.length, jsGzipBytes: gzipSync(js, { level: 9 }).length };
}

if (require.main === module) {
  buildViewer(process.argv[2] ? resolve(process.argv[2]) : undefined)
    .then((b) => console.log(`viewer built in ${b.outdir}: viewer.js ${b.jsBytes} bytes, ${b.jsGzipBytes} gzipped`))
    .catch((e: unknown) => {
      console.error(e);
      process.exit(1);
    });
}
