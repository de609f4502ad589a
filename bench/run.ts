/**
 * `npm run bench [name…]`: ReadRoom's benchmarks. Each prints its figures as ratios against a
 * baseline measured in the same run on this machine; record them in docs/benchmarks.md.
 */
import { cpus } from 'node:os';
import { benchSynth, printSynth } from './synth';
import { benchBurst, benchRoutes } from './api';
import { benchCold } from './api-cold';
import { benchExport } from './api-export';

const suites: Record<string, () => Promise<void> | void> = {
  synth: () => printSynth(benchSynth(Number(process.env.BENCH_RUNS ?? 3))),
  routes: async () => void (await benchRoutes()),
  cold: async () => void (await benchCold()),
  burst: async () => void (await benchBurst()),
  export: async () => void (await benchExport()),
};

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const names = wanted.length ? wanted : Object.keys(suites);
  const unknown = names.filter((n) => !suites[n]);
  if (unknown.length) throw new Error(`Unknown benchmark ${unknown.join(', ')}; choose from ${Object.keys(suites).join(', ')}`);
  console.log(`ReadRoom benchmarks on ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}, ${new Date().toISOString()}`);
  for (const name of names) {
    console.log(`\n== ${name}`);
    await suites[name]();
  }
}

main().catch((e) => {
  console.error((e as Error).message);
  process.exit(1);
});
