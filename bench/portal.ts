/**
 * The reader's path in the browser: the portal's JavaScript as shipped (one bundle for every page,
 * minified, gzip -9), and what it is made of, measured by bundling each part alone the same way:
 * Preact with signals, the form engine the server shares (with and without zod, which
 * lib/config/reading.ts brings), the sign-in code (SRP, TOTP, QR). Target (issue 12, item 7):
 * ≤ 100 KB gzipped. The viewer (`bench bundles`) runs on the streaming instance, not in the
 * reader's browser, except in the local room where its iframe is part of the page.
 */
import { build, type Plugin } from 'esbuild';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildPortal } from '../portal/build';
import { buildViewer } from '../viewer/build';

const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
const ROOT = join(__dirname, '..');

async function bundle(source: string, plugins: Plugin[] = []): Promise<{ raw: number; gzip: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-portal-'));
  const entry = join(dir, 'entry.tsx');
  writeFileSync(entry, source);
  const out = join(dir, 'out.js');
  await build({ entryPoints: [entry], bundle: true, minify: true, format: 'iife', target: ['chrome110', 'firefox110', 'safari16'], jsx: 'automatic', jsxImportSource: 'preact', outfile: out, logLevel: 'error', nodePaths: [join(ROOT, 'node_modules')], plugins });
  const js = readFileSync(out);
  return { raw: js.length, gzip: gzipSync(js, { level: 9 }).length };
}

/** Replaces zod with an empty module: what the engine would weigh if its runtime code did not need zod. */
const noZod: Plugin = {
  name: 'no-zod',
  setup(b) {
    b.onResolve({ filter: /^zod$/ }, () => ({ path: 'zod', namespace: 'no-zod' }));
    b.onLoad({ filter: /.*/, namespace: 'no-zod' }, () => ({ contents: 'export {}', loader: 'js' }));
  },
};

export async function benchPortal(): Promise<void> {
  const portal = await buildPortal(mkdtempSync(join(tmpdir(), 'bench-portal-dist-')));
  const viewer = await buildViewer(mkdtempSync(join(tmpdir(), 'bench-viewer-')));
  const engine = JSON.stringify(join(ROOT, 'portal', 'src', 'form', 'engine'));
  const use = (names: string) => `import { ${names} } from ${engine};\nconsole.log(${names});`;
  const parts: Array<[string, { raw: number; gzip: number }]> = [
    ['preact + @preact/signals', await bundle("import { render, h } from 'preact';\nimport { signal } from '@preact/signals';\nrender(h('p', null, signal(1)), document.body);")],
    ['form engine (reading.ts, validator, visibleIf) + zod', await bundle(use('validateAnswers, walkScope, compileForm, optionEntries'))],
    ['  the same without zod', await bundle(use('validateAnswers, walkScope, compileForm, optionEntries'), [noZod]).catch(() => ({ raw: NaN, gzip: NaN }))],
    ['portal/auth (cognito + srp, totp, otpauth + QR)', await bundle(`export * from ${JSON.stringify(join(ROOT, 'portal', 'auth', 'cognito'))};\nexport * from ${JSON.stringify(join(ROOT, 'portal', 'auth', 'otpauth'))};`)],
    ['i18n tables (en + ko)', await bundle(`import { messages } from ${JSON.stringify(join(ROOT, 'portal', 'src', 'i18n'))};\nconsole.log(messages);`)],
  ];
  console.log(`portal.js (every page, the reader's path)   ${kb(portal.jsBytes)} minified, ${kb(portal.jsGzipBytes)} gzipped (target ≤ 100 KB)`);
  for (const [name, size] of parts) console.log(`  ${name.padEnd(52)} ${kb(size.raw)} minified, ${kb(size.gzip)} gzipped`);
  console.log(`portal.js + viewer.js (the local room's page) ${kb(portal.jsGzipBytes + viewer.jsGzipBytes)} gzipped`);
}

if (require.main === module) {
  benchPortal().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
