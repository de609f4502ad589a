/**
 * Client-side figures for the reading room: the viewer's JavaScript and the portal's sign-in code,
 * minified and gzipped as shipped; and how long the local room's seed takes to draw its synthetic
 * images (50 cases: a fundus photo per eye as PNG and an OCT stack per eye as raw pixels for DICOM).
 */
import { build } from 'esbuild';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { encodePng, fundusPhoto, octVolume } from '../local/seed/images';
import { buildViewer } from '../viewer/build';

const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;

async function bundleSize(entry: string): Promise<{ raw: number; gzip: number }> {
  const out = join(mkdtempSync(join(tmpdir(), 'bench-bundle-')), 'out.js');
  await build({ entryPoints: [entry], bundle: true, minify: true, format: 'esm', target: 'es2022', outfile: out, logLevel: 'error' });
  const js = readFileSync(out);
  return { raw: js.length, gzip: gzipSync(js, { level: 9 }).length };
}

export async function benchBundles(): Promise<void> {
  const viewer = await buildViewer(mkdtempSync(join(tmpdir(), 'bench-viewer-')));
  console.log(`viewer.js                 ${kb(viewer.jsBytes)} minified, ${kb(viewer.jsGzipBytes)} gzipped`);
  const root = join(__dirname, '..', 'portal', 'auth');
  const all = join(mkdtempSync(join(tmpdir(), 'bench-auth-')), 'entry.ts');
  require('node:fs').writeFileSync(all, `export * from ${JSON.stringify(join(root, 'cognito'))};\nexport * from ${JSON.stringify(join(root, 'totp'))};\nexport * from ${JSON.stringify(join(root, 'otpauth'))};\n`);
  const auth = await bundleSize(all);
  console.log(`portal/auth (all)         ${kb(auth.raw)} minified, ${kb(auth.gzip)} gzipped`);
  const signIn = await bundleSize(join(root, 'cognito.ts'));
  console.log(`portal/auth/cognito (+srp) ${kb(signIn.raw)} minified, ${kb(signIn.gzip)} gzipped`);
  const qr = await bundleSize(join(root, 'otpauth.ts'));
  console.log(`portal/auth/otpauth (+QR) ${kb(qr.raw)} minified, ${kb(qr.gzip)} gzipped`);
}

/** The seed's image work for cases [from, to), in this process (one core). */
export function seedImages(cases: number, from = 0): { ms: number; cpuMs: number; pngBytes: number; octBytes: number } {
  const start = performance.now();
  const cpu = process.cpuUsage();
  let pngBytes = 0;
  let octBytes = 0;
  for (let c = from; c < from + cases; c++) {
    for (const eye of ['OD', 'OS'] as const) {
      const lesions = c % 3 === 0 ? { drusen: 8 + (c % 7), haemorrhages: c % 5 } : undefined;
      pngBytes += encodePng(fundusPhoto({ eye, seed: c, lesions })).length;
      const v = octVolume({ eye, seed: c, lesions });
      octBytes += v.frames.length * v.width * v.height;
    }
  }
  const used = process.cpuUsage(cpu);
  return { ms: performance.now() - start, cpuMs: (used.user + used.system) / 1000, pngBytes, octBytes };
}

/** Half the cases each in two child processes, started together: the seed on both cores. */
async function twoProcesses(cases: number): Promise<number> {
  const start = performance.now();
  const half = Math.ceil(cases / 2);
  await Promise.all(
    [0, half].map(
      (from) =>
        new Promise<void>((resolve, reject) => {
          const child = spawn(process.execPath, [...process.execArgv, __filename, 'part', String(from), String(Math.min(half, cases - from))], { stdio: 'inherit' });
          child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`seed part exited ${code}`))));
        }),
    ),
  );
  return performance.now() - start;
}

export async function benchImages(): Promise<void> {
  seedImages(2); // warm the JIT as a long seed run would be
  const runs = Number(process.env.BENCH_RUNS ?? 3);
  const one: number[] = [];
  const cpu: number[] = [];
  const two: number[] = [];
  let last = seedImages(0);
  for (let i = 0; i < runs; i++) {
    last = seedImages(50);
    one.push(last.ms);
    cpu.push(last.cpuMs);
    two.push(await twoProcesses(50));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(`seed images, 50 cases × 2 eyes (512 px fundus PNG + 320×200×16 OCT), medians of ${runs} runs:`);
  // CPU time is the work itself; wall time also counts waiting for a core on a shared machine.
  console.log(`  one core (in process, warm): ${(median(one) / 1000).toFixed(2)} s wall, ${(median(cpu) / 1000).toFixed(2)} s CPU, ${(median(cpu) / 50).toFixed(0)} ms CPU a case`);
  console.log(`  two processes (25 cases each, process start included): ${(median(two) / 1000).toFixed(2)} s`);
  console.log(`  PNG ${kb(last.pngBytes / 100)} a photo; OCT ${kb(last.octBytes / 100)} a stack`);
}

// A child of twoProcesses: draws its share of the cases and exits.
if (require.main === module && process.argv[2] === 'part') {
  seedImages(Number(process.argv[4]), Number(process.argv[3]));
}
