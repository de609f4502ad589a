/**
 * `cdk synth` wall time of the example study (three stacks, esbuild bundles, all three cdk-nag
 * packs) next to a one-bucket app, both through the same CLI in the same run; then resource counts
 * per stack and the size of each Lambda asset.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..');
const CDK = path.join(ROOT, 'node_modules', '.bin', 'cdk');

function synth(app: string | undefined, out: string, env: Record<string, string> = {}): number {
  const args = ['synth', '--quiet', '--output', out, ...(app ? ['--app', app] : [])];
  const started = process.hrtime.bigint();
  try {
    execFileSync(CDK, args, { cwd: ROOT, stdio: 'pipe', env: { ...process.env, CDK_DISABLE_VERSION_CHECK: '1', CDK_DISABLE_CLI_TELEMETRY: 'true', ...env } });
  } catch (e) {
    throw new Error(`cdk synth ${app ?? '(study)'} failed:\n${(e as { stderr?: Buffer }).stderr?.toString() ?? e}`);
  }
  return Number(process.hrtime.bigint() - started) / 1e9;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function dirSize(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce((sum, e) => {
    const p = path.join(dir, e.name);
    return sum + (e.isDirectory() ? dirSize(p) : statSync(p).size);
  }, 0);
}

export interface SynthBench {
  /** Bundle cache warm (the everyday synth: nothing under lambda/ or node_modules changed). */
  studySeconds: number;
  /** Bundle cache off (`READROOM_BUNDLE_CACHE=0`): every function bundled, as on a fresh clone. */
  studyColdSeconds: number;
  minimalSeconds: number;
  ratio: number;
  coldRatio: number;
  resources: Record<string, number>;
  assets: Array<{ stack: string; function: string; bytes: number }>;
}

export function benchSynth(runs = 3, log: (line: string) => void = console.log): SynthBench {
  const study: number[] = [];
  const cold: number[] = [];
  const minimal: number[] = [];
  let lastOut = '';
  const scratch = () => mkdtempSync(path.join(tmpdir(), 'readroom-bench-'));
  // Fill the bundle cache once, untimed; then interleave the three so machine noise hits all alike.
  const fill = scratch();
  synth(undefined, fill);
  rmSync(fill, { recursive: true, force: true });
  for (let i = 0; i < runs; i++) {
    const outMin = scratch();
    minimal.push(synth('npx tsx bench/minimal-app.ts', outMin));
    rmSync(outMin, { recursive: true, force: true });
    const outCold = scratch();
    cold.push(synth(undefined, outCold, { READROOM_BUNDLE_CACHE: '0' }));
    rmSync(outCold, { recursive: true, force: true });
    if (lastOut) rmSync(lastOut, { recursive: true, force: true });
    lastOut = scratch();
    study.push(synth(undefined, lastOut));
    log(`  run ${i + 1}/${runs}: minimal ${minimal[i].toFixed(2)} s, study ${study[i].toFixed(2)} s (bundle cache off ${cold[i].toFixed(2)} s)`);
  }

  const resources: Record<string, number> = {};
  const assets: SynthBench['assets'] = [];
  for (const file of readdirSync(lastOut).filter((f) => f.endsWith('.template.json'))) {
    const stack = file.replace('.template.json', '');
    const template = JSON.parse(readFileSync(path.join(lastOut, file), 'utf8')) as { Resources: Record<string, { Type: string; Metadata?: Record<string, string> }> };
    resources[stack] = Object.keys(template.Resources).length;
    for (const [id, r] of Object.entries(template.Resources)) {
      const asset = r.Metadata?.['aws:asset:path'];
      if (r.Type === 'AWS::Lambda::Function' && asset) assets.push({ stack, function: id, bytes: dirSize(path.join(lastOut, asset)) });
    }
  }
  rmSync(lastOut, { recursive: true, force: true });
  const m = median(minimal);
  return { studySeconds: median(study), studyColdSeconds: median(cold), minimalSeconds: m, ratio: median(study) / m, coldRatio: median(cold) / m, resources, assets };
}

export function printSynth(r: SynthBench, log: (line: string) => void = console.log): void {
  log(`cdk synth, median: example study ${r.studySeconds.toFixed(2)} s, one-bucket app ${r.minimalSeconds.toFixed(2)} s, ratio ${r.ratio.toFixed(2)}x (target < 2x)`);
  log(`  with the bundle cache off (fresh clone): ${r.studyColdSeconds.toFixed(2)} s, ratio ${r.coldRatio.toFixed(2)}x`);
  for (const [stack, n] of Object.entries(r.resources)) log(`  ${stack}: ${n} resources`);
  for (const a of r.assets) log(`  asset ${a.stack}/${a.function}: ${(a.bytes / 1024).toFixed(0)} KiB`);
}
