/**
 * `npm run bench [name…]`: ReadRoom's benchmarks. Each prints its figures as ratios against a
 * baseline measured in the same run on this machine; record them in docs/benchmarks.md.
 */
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { benchSynth, printSynth } from './synth';
import { benchBurst, benchRoutes } from './api';
import { benchCold } from './api-cold';
import { benchExport } from './api-export';
import { benchIngest } from './ingest';
import { benchIngestDigest } from './ingest-digest';
import { benchBundles, benchImages } from './viewer';
import { benchPlan } from './plan';
import { benchPortal } from './portal';
import { benchReadNext, benchRoomStart, benchSuite } from './room';

const suites: Record<string, () => Promise<void> | void> = {
  synth: () => printSynth(benchSynth(Number(process.env.BENCH_RUNS ?? 3))),
  routes: async () => void (await benchRoutes()),
  cold: async () => void (await benchCold()),
  burst: async () => void (await benchBurst()),
  export: async () => void (await benchExport()),
  ingest: async () => void (await benchIngest()),
  'ingest-digest': benchIngestDigest,
  bundles: benchBundles,
  plan: () => benchPlan(),
  portal: benchPortal,
  images: benchImages,
  'room-start': benchRoomStart,
  'read-next': async () => void (await benchReadNext()),
  suite: benchSuite,
};

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const names = wanted.length ? wanted : Object.keys(suites);
  const unknown = names.filter((n) => !suites[n]);
  if (unknown.length) throw new Error(`Unknown benchmark ${unknown.join(', ')}; choose from ${Object.keys(suites).join(', ')}`);
  if (names.length === 1) {
    console.log(`ReadRoom benchmarks on ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}, ${new Date().toISOString()}`);
    console.log(`\n== ${names[0]}`);
    return suites[names[0]]();
  }
  // One process per suite: each starts its own emulator, and the handlers' SDK clients (created
  // once per process, as in Lambda) would otherwise keep pointing at the first suite's.
  for (const name of names) {
    const child = spawnSync(process.execPath, [...process.execArgv, __filename, name], { stdio: 'inherit' });
    if (child.status !== 0) throw new Error(`benchmark ${name} failed (exit ${child.status ?? child.signal})`);
  }
}

main().catch((e) => {
  console.error((e as Error).message);
  process.exit(1);
});
