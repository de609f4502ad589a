/**
 * Cold start of each function's production bundle (esbuild with lib/constructs/app-function.ts's
 * options) next to a bundled empty handler: in a fresh `node` process, the time from process start
 * until the module is loaded, plus the first call (against the emulator). Twice: with the SDK
 * bundled (as deployed) and with `@aws-sdk/*` left external, resolved from node_modules as the
 * Lambda runtime would provide it. Also the bundle size and the SDK clients each bundle holds.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { build, type Metafile } from 'esbuild';
import { startHarness } from '../test/helpers/api-harness';
import { assign, seedCase } from '../test/helpers/reading-fixtures';
import { seedReadCase } from '../test/helpers/reading-seed';
import { grade } from '../test/helpers/grades';
import { jobInsertEvent } from '../test/helpers/export-worker';
import { bodyOf, fleetEvent, httpEvent, median, ms, person, quietly } from './api';

const ROOT = path.join(__dirname, '..');
const RUNS = Number(process.env.BENCH_COLD_RUNS ?? 5);

/** Runs in the child: load the bundle, call it once with the event file, print the times (ms since process start). */
const CHILD = `
const loadStart = performance.now();
const mod = require(process.argv[2]);
const loaded = performance.now();
const event = JSON.parse(require('fs').readFileSync(process.argv[3], 'utf8'));
const log = console.log; console.log = () => {};
Promise.resolve(mod.handler(event)).then((res) => {
  const done = performance.now();
  log(JSON.stringify({ start: loadStart, loaded, done, status: res && res.statusCode }));
  process.exit(0);
}, (e) => { console.error(e); process.exit(1); });
`;

interface Variant {
  bytes: number;
  clients: string[];
  loadedMs: number;
  firstCallMs: number;
  totalMs: number;
  status?: number;
}

async function bundle(entry: string, outfile: string, sdkExternal: boolean, readingConfig: string): Promise<{ bytes: number; clients: string[] }> {
  const out = await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    metafile: true,
    external: sdkExternal ? ['@aws-sdk/*'] : [],
    define: { 'process.env.READROOM_READING_CONFIG': JSON.stringify(readingConfig) },
    logLevel: 'error',
  });
  return { bytes: statSync(outfile).size, clients: sdkPackages(out.metafile!, sdkExternal) };
}

/** The @aws-sdk packages a bundle holds (bundled) or imports at run time (external). */
function sdkPackages(meta: Metafile, external: boolean): string[] {
  const found = new Set<string>();
  if (external) {
    for (const o of Object.values(meta.outputs)) for (const i of o.imports) if (i.path.startsWith('@aws-sdk/')) found.add(i.path.split('/').slice(0, 2).join('/'));
  } else {
    for (const input of Object.keys(meta.inputs)) {
      const m = /node_modules\/(@aws-sdk\/(?:client|lib)-[a-z0-9-]+|@aws-sdk\/s3-request-presigner)\//.exec(input);
      if (m) found.add(m[1]);
    }
  }
  return [...found].sort();
}

const exec = promisify(execFile);
async function coldRun(runner: string, file: string, eventFile: string): Promise<{ loaded: number; firstCall: number; total: number; status?: number }> {
  const { stdout } = await exec(process.execPath, [runner, file, eventFile], { env: { ...process.env, NODE_PATH: path.join(ROOT, 'node_modules') } });
  const r = JSON.parse(stdout.trim().split('\n').at(-1)!);
  return { loaded: r.loaded, firstCall: r.done - r.loaded, total: r.done, status: r.status };
}

export interface ColdRow {
  fn: string;
  call: string;
  bundled: Variant;
  external: Variant;
}

export async function benchCold(log: (l: string) => void = console.log): Promise<{ empty: Variant; rows: ColdRow[] }> {
  const h = await startHarness();
  const dir = mkdtempSync(path.join(tmpdir(), 'readroom-bench-cold-'));
  try {
    // State for one meaningful first call per function.
    const me = person('reader');
    await seedCase(h, 'C1');
    for (const f of ['fundus/OD.jpg', 'fundus/OS.jpg', 'va.json']) await h.putObject(`cases/C1/${f}`, 'x');
    const ref = await assign(h, 'C1', { sub: me.sub, username: 'bench-reader' }); // reader routes take the assignment ref
    await seedReadCase(h, 'CA1', [
      { readerId: 'bench-x', answers: grade({ OD: { icdrLevel: 'mild_npdr' } }) },
      { readerId: 'bench-y', answers: grade({ OD: { icdrLevel: 'severe_npdr' } }) },
    ]);
    const reader = await import('../lambda/reader-api/handler');
    const session = bodyOf(await quietly(() => reader.handler(httpEvent('POST /assignments/{ref}/session', me, { pathParameters: { ref } }))));
    await fetch(session.streamingUrl);
    const sessionId = h.appStream.urls().at(-1)!.SessionContext!;
    await h.putObject('cases/C2/fundus/OD.jpg', 'x');
    await h.putObject('cases/C2/manifest.json', JSON.stringify({ caseId: 'C2', files: [{ key: 'fundus/OD.jpg', exam: 'fundus', eye: 'OD' }] }));

    // The worker's first call: the insert of a job another invocation already ran, so every run
    // does the same work (load, one conditional update that finds the job taken).
    const coordinator = await import('../lambda/coordinator-api/handler');
    const exportId = bodyOf(await quietly(() => coordinator.handler(httpEvent('POST /exports', person('coordinator'), { body: { formats: ['csv'] } })))).exportId as string;
    const jobInsert = await jobInsertEvent(h, exportId);
    await quietly(async () => (await import('../lambda/export-worker/handler')).handler(jobInsert));

    const functions: { fn: string; call: string; event: unknown }[] = [
      { fn: 'reader-api', call: 'GET /queue', event: httpEvent('GET /queue', me, { query: { limit: '20' } }) },
      { fn: 'adjudication-api', call: 'GET /adjudications', event: httpEvent('GET /adjudications', person('adjudicator')) },
      { fn: 'coordinator-api', call: 'GET /progress', event: httpEvent('GET /progress', person('coordinator')) },
      { fn: 'export-worker', call: 'job insert (already taken)', event: jobInsert },
      { fn: 'case-files', call: 'GET /fleet/case-files', event: fleetEvent(sessionId) },
      { fn: 'register-case', call: 'Object Created manifest.json', event: h.objectCreatedEvent('cases/C2/manifest.json') },
    ];
    const runner = path.join(dir, 'cold-runner.js');
    writeFileSync(runner, CHILD);
    const config = JSON.stringify(h.readingConfig);
    const emptyEntry = path.join(dir, 'empty.ts');
    writeFileSync(emptyEntry, "export const handler = async () => ({ statusCode: 200, body: '' });\n");

    const measure = async (name: string, entry: string, event: unknown, external: boolean): Promise<Variant> => {
      const file = path.join(dir, `${name}${external ? '-ext' : ''}`, 'index.js');
      const b = await bundle(entry, file, external, config);
      const eventFile = path.join(dir, `${name}.event.json`);
      writeFileSync(eventFile, JSON.stringify(event));
      const runs = [];
      for (let i = 0; i < RUNS; i++) runs.push(await coldRun(runner, file, eventFile));
      return {
        ...b,
        loadedMs: median(runs.map((r) => r.loaded)),
        firstCallMs: median(runs.map((r) => r.firstCall)),
        totalMs: median(runs.map((r) => r.total)),
        status: runs[0].status,
      };
    };

    const empty = await measure('empty', emptyEntry, {}, false);
    log(`  empty handler: ${empty.bytes} B, module loaded at ${ms(empty.loadedMs)} ms, first call ${ms(empty.firstCallMs)} ms, total ${ms(empty.totalMs)} ms (median of ${RUNS})`);
    const rows: ColdRow[] = [];
    for (const f of functions) {
      const entry = path.join(ROOT, 'lambda', f.fn, 'handler.ts');
      const row: ColdRow = { fn: f.fn, call: f.call, bundled: await measure(f.fn, entry, f.event, false), external: await measure(f.fn, entry, f.event, true) };
      rows.push(row);
      for (const [label, v] of [['SDK bundled ', row.bundled], ['SDK external', row.external]] as const) {
        log(
          `  ${f.fn.padEnd(17)} ${label} ${(v.bytes / 1024).toFixed(0).padStart(5)} KiB | loaded ${ms(v.loadedMs)} ms + first call (${f.call}, ${v.status}) ${ms(v.firstCallMs)} ms = ${ms(v.totalMs)} ms, ${(v.totalMs / empty.totalMs).toFixed(1)}x empty | ${v.clients.join(' ')}`,
        );
      }
    }
    const sum = (k: 'bundled' | 'external') => rows.reduce((s, r) => s + r[k].totalMs, 0);
    log(`  by cold start: SDK ${sum('bundled') <= sum('external') ? 'bundled' : 'external'} is faster (sum of medians: bundled ${ms(sum('bundled'))} ms, external ${ms(sum('external'))} ms)`);
    return { empty, rows };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await h.stop();
  }
}
