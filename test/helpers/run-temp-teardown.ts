/** Removes the run's temporary folder (./run-temp-setup.ts) and gives TMPDIR back. */
import { rmSync } from 'node:fs';
import './run-temp-setup';

export default function runTempTeardown(): void {
  const run = globalThis.readroomRunTemp;
  if (!run) return;
  globalThis.readroomRunTemp = undefined;
  if (run.tmpdirBefore === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = run.tmpdirBefore;
  rmSync(run.dir, { recursive: true, force: true, maxRetries: 3 });
}
