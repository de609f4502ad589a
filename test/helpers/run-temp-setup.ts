/**
 * Jest's top-level global setup (every run, whatever the projects or files): one temporary folder
 * for the run, and TMPDIR pointing into it, inherited by the test workers and everything they
 * start (CDK apps, cfn-lint, Chromium's profiles, the synth command's processes). Whatever the
 * tests put in os.tmpdir() goes with the folder at the end (./run-temp-teardown.ts). Before, each
 * run left ≈ 1 GB behind in /tmp (cloud assemblies, bundles, lint folders): a machine that ran the
 * suite a few dozen times ran out of disk. A run stopped by Ctrl-C never reaches the teardown, so
 * each setup first removes the folders of runs whose process is gone (`sweepAbandonedRuns`).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processAlive } from './process-alive';

const PREFIX = 'readroom-test-run-';
/** In each run's folder: the pid of the process that made it (jest's, for a whole run). */
const OWNER_FILE = 'owner.pid';

/**
 * Removes the run folders in `parent` whose owner process has ended (a run stopped by Ctrl-C or
 * killed). A folder whose owner still runs (another run in parallel, another worktree's) stays, and
 * so does one without an owner file: nothing here removes what it cannot tell is abandoned.
 */
export function sweepAbandonedRuns(parent: string): string[] {
  const removed: string[] = [];
  for (const name of readdirSync(parent)) {
    if (!name.startsWith(PREFIX)) continue;
    const dir = join(parent, name);
    let pid: number;
    try {
      pid = Number(readFileSync(join(dir, OWNER_FILE), 'utf8'));
    } catch {
      continue;
    }
    if (!Number.isInteger(pid) || pid <= 0 || processAlive(pid)) continue;
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    removed.push(dir);
  }
  return removed;
}

declare global {
  // Read by ./run-temp-teardown.ts (same process).
  var readroomRunTemp: { dir: string; tmpdirBefore: string | undefined } | undefined;
}

export default function runTempSetup(): void {
  if (globalThis.readroomRunTemp) return; // watch mode: one folder for the session
  sweepAbandonedRuns(tmpdir());
  const dir = mkdtempSync(join(tmpdir(), PREFIX));
  writeFileSync(join(dir, OWNER_FILE), String(process.pid));
  globalThis.readroomRunTemp = { dir, tmpdirBefore: process.env.TMPDIR };
  process.env.TMPDIR = dir;
}
