/**
 * `npm run bench ingest`: `readroom ingest` (the bundled dist/readroom.js, as a coordinator runs
 * it) next to boto3's s3transfer (bench/s3transfer-upload.py, the engine of `aws s3 cp`) uploading
 * the same synthetic case set into the same moto server in the same run; the gate's speed in
 * files per second on headers alone; and the CLI's peak RSS with a 1 GB file in the set.
 *
 * The set (BENCH_INGEST_MB, default 2048 MB) is written under a temporary folder and deleted after:
 * one 1 GB OCT volume (OPT, 1000 B-scans) and cases of two colour fundus photographs (OP) and one
 * 40-frame OCT each. moto is reset between the two uploads so neither pays for the other's objects.
 */
import { execSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { checkFolder } from '../cli/ingest/check';
import { writeOphthalmicFile, type OphthalmicImageSpec } from '../cli/dicom/writer';
import { awsClientConfig, resetMoto, startMoto } from '../test/helpers/moto';

const ROOT = path.join(__dirname, '..');
const MB = 1024 * 1024;
let uidN = 0;
const uid = () => `2.25.${Date.now()}${++uidN}`;

async function writeFile(file: string, s: Omit<OphthalmicImageSpec, 'sopInstanceUid' | 'studyInstanceUid' | 'seriesInstanceUid'>) {
  const spec = { ...s, sopInstanceUid: uid(), studyInstanceUid: uid(), seriesInstanceUid: uid() };
  const frame = Buffer.alloc(s.rows * s.columns * (s.samplesPerPixel ?? 1));
  for (let i = 0; i < frame.length; i++) frame[i] = (i * 31 + (i >> 9)) & 0xff;
  return writeOphthalmicFile(file, spec, () => frame);
}

async function makeSet(dir: string, totalMb: number): Promise<{ files: number; bytes: number }> {
  let bytes = 0;
  let files = 0;
  mkdirSync(path.join(dir, 'B-0000/oct'), { recursive: true });
  const frames = Number(process.env.BENCH_INGEST_BIG_FRAMES ?? 1000);
  const big = await writeFile(path.join(dir, 'B-0000/oct/OD.dcm'), { kind: 'OPT', rows: 1024, columns: 1024, frames, laterality: 'R', patientId: 'B-0000' });
  bytes += big;
  files++;
  for (let c = 1; bytes < totalMb * MB; c++) {
    const id = `B-${String(c).padStart(4, '0')}`;
    mkdirSync(path.join(dir, id, 'fundus'), { recursive: true });
    mkdirSync(path.join(dir, id, 'oct'), { recursive: true });
    bytes += await writeFile(path.join(dir, id, 'fundus/OD.dcm'), { kind: 'OP', rows: 1500, columns: 2000, samplesPerPixel: 3, laterality: 'R', patientId: id });
    bytes += await writeFile(path.join(dir, id, 'fundus/OS.dcm'), { kind: 'OP', rows: 1500, columns: 2000, samplesPerPixel: 3, laterality: 'L', patientId: id });
    bytes += await writeFile(path.join(dir, id, 'oct/OS.dcm'), { kind: 'OPT', rows: 1024, columns: 512, frames: 40, laterality: 'L', patientId: id });
    files += 3;
  }
  return { files, bytes };
}

/** Runs a child to completion, sampling its peak RSS (VmHWM) from /proc. */
function runMeasured(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; seconds: number; peakRssMb: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    let peak = 0;
    const sample = () => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) peak = Math.max(peak, Number(m[1]) / 1024);
      } catch {
        // exited between samples
      }
    };
    const timer = setInterval(sample, 50);
    child.on('exit', (code) => {
      clearInterval(timer);
      resolve({ code, seconds: Number(process.hrtime.bigint() - started) / 1e9, peakRssMb: peak, stdout, stderr });
    });
  });
}

export async function benchIngest(): Promise<void> {
  const totalMb = Number(process.env.BENCH_INGEST_MB ?? 2048);
  /** More `readroom ingest` options (e.g. `--part-size 8 --concurrency 8`) to compare settings. */
  const extraArgs = (process.env.BENCH_INGEST_ARGS ?? '').split(' ').filter(Boolean);
  const build = spawnSync('npm', ['run', '--silent', 'build:cli'], { cwd: ROOT, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('npm run build:cli failed');
  const dir = mkdtempSync(path.join(tmpdir(), 'readroom-bench-ingest-'));
  const moto = await startMoto();
  try {
    const t0 = Date.now();
    const set = await makeSet(dir, totalMb);
    console.log(`set: ${set.files} files, ${(set.bytes / MB).toFixed(0)} MiB (largest ${(statSync(path.join(dir, 'B-0000/oct/OD.dcm')).size / MB).toFixed(0)} MiB), written in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    // Gate on headers alone: the whole set, then the page cache no longer matters (headers only).
    for (let i = 0; i < 2; i++) {
      const g0 = process.hrtime.bigint();
      const plans = await checkFolder(dir);
      const s = Number(process.hrtime.bigint() - g0) / 1e9;
      const refused = plans.filter((p) => p.findings.length).length;
      if (refused) throw new Error(`the bench set should pass the gate; ${refused} case(s) refused`);
      console.log(`gate (run ${i + 1}): ${set.files} files in ${s.toFixed(3)} s = ${(set.files / s).toFixed(0)} files/s (${((set.bytes / MB) / s).toFixed(0)} MiB/s of files whose pixels are skipped)`);
    }

    // moto's own CPU time per run: the emulator, not the client, is what limits both tools here.
    const motoPid = execSync(`pgrep -f 'moto.server -H 127.0.0.1 -p ${moto.port}$'`).toString().trim().split('\n')[0];
    const motoCpu = () => {
      const f = readFileSync(`/proc/${motoPid}/stat`, 'utf8').split(') ')[1].split(' ');
      return (Number(f[11]) + Number(f[12])) / 100;
    };
    // Gate speed on many small files (header cost only): 500 cases × 4 files with full headers.
    const many = path.join(dir, '..', `${path.basename(dir)}-gate`);
    try {
      const { dicomBytesForBench } = await import('./ingest-fixture');
      for (let c = 0; c < 500; c++) {
        const id = `G-${String(c).padStart(4, '0')}`;
        mkdirSync(path.join(many, id, 'fundus'), { recursive: true });
        mkdirSync(path.join(many, id, 'oct'), { recursive: true });
        for (const [rel, kind, lat] of [['fundus/OD.dcm', 'OP', 'R'], ['fundus/OS.dcm', 'OP', 'L'], ['oct/OD.dcm', 'OPT', 'R'], ['oct/OS.dcm', 'OPT', 'L']] as const) {
          writeFileSync(path.join(many, id, rel), dicomBytesForBench(id, kind, lat));
        }
      }
      for (let i = 0; i < 3; i++) {
        const g0 = process.hrtime.bigint();
        const plans = await checkFolder(many);
        const s = Number(process.hrtime.bigint() - g0) / 1e9;
        if (plans.some((p) => p.findings.length)) throw new Error('the gate set should pass');
        console.log(`gate, 2000 small files (run ${i + 1}): ${s.toFixed(2)} s = ${(2000 / s).toFixed(0)} files/s`);
      }
    } finally {
      rmSync(many, { recursive: true, force: true });
    }

    const s3 = new S3Client(awsClientConfig(moto.endpoint));
    const env = { ...process.env, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'ap-northeast-2', NO_PROXY: '*' };
    const results: Array<{ tool: string; seconds: number; peakRssMb: number }> = [];
    for (const tool of (process.env.BENCH_INGEST_TOOLS ?? 'readroom,s3transfer,readroom,s3transfer').split(',')) {
      await resetMoto(moto.endpoint);
      await s3.send(new CreateBucketCommand({ Bucket: 'bench-scans', CreateBucketConfiguration: { LocationConstraint: 'ap-northeast-2' } }));
      const cpu0 = motoCpu();
      const journal = path.join(dir, `..`, `readroom-bench-journal-${process.pid}-${results.length}.jsonl`);
      const r =
        tool === 'readroom'
          ? await runMeasured(process.execPath, [path.join(ROOT, 'dist/readroom.js'), 'ingest', dir, '--study', 'example', '--bucket', 'bench-scans', '--endpoint-url', moto.endpoint, '--json', '--no-progress', '--journal', journal, ...extraArgs], env)
          : await runMeasured('python3', [path.join(__dirname, 's3transfer-upload.py'), dir, 'bench-scans', moto.endpoint, 'cases/'], env);
      rmSync(journal, { force: true });
      if (r.code !== 0) throw new Error(`${tool} exited ${r.code}: ${r.stderr.slice(-2000)} ${r.stdout.slice(-2000)}`);
      results.push({ tool, seconds: r.seconds, peakRssMb: r.peakRssMb });
      console.log(`${tool.padEnd(10)} ${r.seconds.toFixed(1)} s  ${(set.bytes / MB / r.seconds).toFixed(1)} MiB/s  peak RSS ${r.peakRssMb.toFixed(0)} MiB  moto CPU ${(motoCpu() - cpu0).toFixed(1)} s`);
    }
    const median = (tool: string) => {
      const xs = results.filter((r) => r.tool === tool).map((r) => r.seconds).sort((a, b) => a - b);
      return xs[Math.floor(xs.length / 2)];
    };
    const best = (tool: string) => Math.min(...results.filter((r) => r.tool === tool).map((r) => r.seconds));
    console.log(`throughput ratio readroom / s3transfer (best of 2): ${(best('s3transfer') / best('readroom')).toFixed(2)} (target ≥ 1.0); slower runs: ${(median('s3transfer') / median('readroom')).toFixed(2)}`);
    console.log(`readroom peak RSS: ${Math.max(...results.filter((r) => r.tool === 'readroom').map((r) => r.peakRssMb)).toFixed(0)} MiB (target ≤ 512 MB)`);
  } finally {
    await moto.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
