/**
 * `npm run bench ingest`: `readroom ingest` (the bundled dist/readroom.js, as a coordinator runs
 * it) next to boto3's s3transfer (bench/s3transfer-upload.py, the engine of `aws s3 cp`) uploading
 * the same synthetic case set into the same moto server in the same run; the gate's speed in
 * files per second on headers alone; and the CLI's peak RSS with a 1 GB file in the set.
 *
 * The set (BENCH_INGEST_MB, default 2048 MB) is written under a temporary folder and deleted after:
 * one 1 GB OCT volume (OPT, 1000 B-scans) and cases of two colour fundus photographs (OP) and one
 * 40-frame OCT each. BENCH_INGEST_ROUNDS rounds (default 3) of BENCH_INGEST_TOOLS (default
 * readroom, s3transfer and s3transfer with a whole-object CRC32), the order rotated each round;
 * moto is reset before every upload so none pays for another's objects. Besides wall time, the
 * CPU time of the uploader and of moto, and the load average, which other work on the machine
 * moves: compare within a run, not across runs.
 */
import { execSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
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

/** A process's CPU time so far (user + system, all threads), in seconds. */
export function cpuSeconds(pid: number | string): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

/** Runs a child to completion, sampling its peak RSS (VmHWM) and CPU time from /proc. */
function runMeasured(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; seconds: number; peakRssMb: number; cpu: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    let peak = 0;
    let cpu = 0;
    const sample = () => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) peak = Math.max(peak, Number(m[1]) / 1024);
        cpu = cpuSeconds(child.pid!);
      } catch {
        // exited between samples
      }
    };
    const timer = setInterval(sample, 50);
    child.on('exit', (code) => {
      clearInterval(timer);
      resolve({ code, seconds: Number(process.hrtime.bigint() - started) / 1e9, peakRssMb: peak, cpu, stdout, stderr });
    });
  });
}

/**
 * One upload of the set. `readroom` is this checkout's bundle; `readroom@<file>` another bundle
 * (e.g. main's, to compare before and after), either followed by options of its own
 * (`readroom --part-size 32`); `s3transfer` is boto3's default configuration; `s3transfer-full` the
 * same with a whole-object CRC32 (bench/s3transfer-upload.py).
 */
function runTool(tool: string, dir: string, endpoint: string, journal: string, extraArgs: string[], env: NodeJS.ProcessEnv) {
  if (tool.startsWith('readroom')) {
    const [spec, ...own] = tool.split(' ').filter(Boolean);
    const bundle = spec.includes('@') ? spec.slice(spec.indexOf('@') + 1) : path.join(ROOT, 'dist/readroom.js');
    // BENCH_INGEST_NODE_ARGS: node's own flags for the CLI, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`.
    const nodeArgs = (process.env.BENCH_INGEST_NODE_ARGS ?? '').split(' ').filter(Boolean);
    return runMeasured(process.execPath, [...nodeArgs, bundle, 'ingest', dir, '--study', 'example', '--bucket', 'bench-scans', '--endpoint-url', endpoint, '--json', '--no-progress', '--journal', journal, ...extraArgs, ...own], env);
  }
  const mode = tool === 's3transfer-full' ? 'full-crc32' : tool === 's3transfer' ? 'default' : undefined;
  if (!mode) throw new Error(`unknown tool ${tool}: readroom, readroom@<bundle>, s3transfer or s3transfer-full`);
  return runMeasured('python3', [path.join(__dirname, 's3transfer-upload.py'), dir, 'bench-scans', endpoint, 'cases/', mode], env);
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
    const gate = process.env.BENCH_INGEST_GATE !== '0';
    for (let i = 0; i < (gate ? 2 : 0); i++) {
      const g0 = process.hrtime.bigint();
      const plans = await checkFolder(dir);
      const s = Number(process.hrtime.bigint() - g0) / 1e9;
      const refused = plans.filter((p) => p.findings.length).length;
      if (refused) throw new Error(`the bench set should pass the gate; ${refused} case(s) refused`);
      console.log(`gate (run ${i + 1}): ${set.files} files in ${s.toFixed(3)} s = ${(set.files / s).toFixed(0)} files/s (${((set.bytes / MB) / s).toFixed(0)} MiB/s of files whose pixels are skipped)`);
    }

    // moto's own CPU time per run: the emulator, not the client, is what limits both tools here.
    const motoPid = execSync(`pgrep -f 'moto.server -H 127.0.0.1 -p ${moto.port}$'`).toString().trim().split('\n')[0];
    const motoCpu = () => cpuSeconds(motoPid);
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
      for (let i = 0; i < (gate ? 3 : 0); i++) {
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
    // Each round runs every tool once, the order rotated from round to round, so load from other
    // work on the machine falls on all of them alike; figures are medians over the rounds.
    const tools = (process.env.BENCH_INGEST_TOOLS ?? 'readroom,s3transfer,s3transfer-full').split(',');
    const rounds = Number(process.env.BENCH_INGEST_ROUNDS ?? 3);
    const results: Array<{ tool: string; seconds: number; peakRssMb: number; cpu: number; motoCpu: number }> = [];
    console.log(`load average before: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < tools.length; i++) {
        const tool = tools[(i + round) % tools.length];
        await resetMoto(moto.endpoint);
        await s3.send(new CreateBucketCommand({ Bucket: 'bench-scans', CreateBucketConfiguration: { LocationConstraint: 'ap-northeast-2' } }));
        const cpu0 = motoCpu();
        const journal = path.join(dir, `..`, `readroom-bench-journal-${process.pid}-${results.length}.jsonl`);
        const r = await runTool(tool, dir, moto.endpoint, journal, extraArgs, env);
        rmSync(journal, { force: true });
        if (r.code !== 0) throw new Error(`${tool} exited ${r.code}: ${r.stderr.slice(-2000)} ${r.stdout.slice(-2000)}`);
        const motoSeconds = motoCpu() - cpu0;
        results.push({ tool, seconds: r.seconds, peakRssMb: r.peakRssMb, cpu: r.cpu, motoCpu: motoSeconds });
        console.log(`round ${round + 1} ${tool.padEnd(16)} ${r.seconds.toFixed(1)} s  ${(set.bytes / MB / r.seconds).toFixed(1)} MiB/s  peak RSS ${r.peakRssMb.toFixed(0)} MiB  CPU ${r.cpu.toFixed(1)} s  moto CPU ${motoSeconds.toFixed(1)} s  load ${loadavg()[0].toFixed(2)}`);
      }
    }
    console.log(`load average after: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
    const median = (xs: number[]) => {
      const s = [...xs].sort((a, b) => a - b);
      return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    };
    const of = (tool: string) => results.filter((r) => r.tool === tool);
    for (const tool of tools) {
      const rs = of(tool);
      console.log(`median ${tool.padEnd(16)} ${median(rs.map((r) => r.seconds)).toFixed(1)} s  ${(set.bytes / MB / median(rs.map((r) => r.seconds))).toFixed(1)} MiB/s  CPU ${median(rs.map((r) => r.cpu)).toFixed(1)} s  moto CPU ${median(rs.map((r) => r.motoCpu)).toFixed(1)} s  peak RSS ${Math.max(...rs.map((r) => r.peakRssMb)).toFixed(0)} MiB`);
    }
    // Ratios of medians, and per round (same round, neighbouring runs, so alike in load).
    const medianSeconds = (tool: string) => median(of(tool).map((r) => r.seconds));
    for (const t of tools.filter((x) => x.startsWith('readroom'))) {
      for (const base of tools.filter((x) => x.startsWith('s3transfer'))) {
        const perRound = of(base).map((b, k) => (b.seconds / of(t)[k].seconds).toFixed(2));
        console.log(`throughput ratio ${t} / ${base}: ${(medianSeconds(base) / medianSeconds(t)).toFixed(2)} (medians; per round ${perRound.join(', ')}; target ≥ 1.0)`);
      }
      console.log(`${t} peak RSS: ${Math.max(...of(t).map((r) => r.peakRssMb)).toFixed(0)} MiB (target ≤ 512 MB)`);
    }
  } finally {
    await moto.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
