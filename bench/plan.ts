/**
 * `npm run bench plan`: how `planAssignments` (bulk assignment, `POST /assignments`) scales. The
 * baseline is a tenth of the seed's scale in the same process (600 cases, 10 readers); the seed's
 * scale (6,000 cases, 100 readers, k = 2) makes ten times the assignments from ten times the
 * readers, so a planner linear in assignments × readers shows ≈ 100×, one linear in assignments
 * ≈ 10×. CPU time (process.cpuUsage), best of BENCH_RUNS (default 5) rounds.
 */
import { planAssignments, type PlanInput } from '../domain/assignment/plan';

const input = (cases: number, readers: number): PlanInput => ({
  cases: Array.from({ length: cases }, (_, i) => ({ caseId: `c${i}`, site: `S${i % 7}` })),
  readers: Array.from({ length: readers }, (_, i) => ({ readerId: `r${i}`, site: `S${i % 9}`, openCount: 0, totalCount: i % 13, active: true })),
  readsPerCase: 2,
  maxOpenPerReader: 1000,
  existing: [],
  seed: 1,
});

/** The best round's CPU per plan; a round plans `reps` times, so a 1-ms plan is not lost in the clock's grain. */
function bestCpuMs(plan: PlanInput, runs: number, reps: number): { ms: number; assignments: number } {
  let best = Infinity;
  let assignments = 0;
  for (let i = 0; i < runs; i++) {
    const start = process.cpuUsage();
    for (let r = 0; r < reps; r++) assignments = planAssignments(plan).assignments.length;
    const used = process.cpuUsage(start);
    best = Math.min(best, (used.user + used.system) / 1000 / reps);
  }
  return { ms: best, assignments };
}

export function benchPlan(runs = Number(process.env.BENCH_RUNS ?? 5)): void {
  const small = bestCpuMs(input(600, 10), runs, 20);
  const seed = bestCpuMs(input(6000, 100), runs, 2);
  console.log(`plan 600 cases × 10 readers (baseline): ${small.ms.toFixed(2)} ms CPU, ${small.assignments} assignments`);
  console.log(`plan 6,000 cases × 100 readers:         ${seed.ms.toFixed(2)} ms CPU, ${seed.assignments} assignments`);
  console.log(`ratio ${(seed.ms / small.ms).toFixed(1)}× for 10× the assignments and 10× the readers (≈ 10× linear in assignments, ≈ 100× in assignments × readers)`);
}
