/**
 * Jest's top-level global setup (every run, whatever the projects or files): one temporary folder
 * for the run, and TMPDIR pointing into it, inherited by the test workers and everything they
 * start (CDK apps, cfn-lint, Chromium's profiles, the synth command's processes). Whatever the
 * tests put in os.tmpdir() goes with the folder at the end (./run-temp-teardown.ts). Before, each
 * run left ≈ 1 GB behind in /tmp (cloud assemblies, bundles, lint folders): a machine that ran the
 * suite a few dozen times ran out of disk.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

declare global {
  // Read by ./run-temp-teardown.ts (same process).
  var readroomRunTemp: { dir: string; tmpdirBefore: string | undefined } | undefined;
}

export default function runTempSetup(): void {
  if (globalThis.readroomRunTemp) return; // watch mode: one folder for the session
  const dir = mkdtempSync(join(tmpdir(), 'readroom-test-run-'));
  globalThis.readroomRunTemp = { dir, tmpdirBefore: process.env.TMPDIR };
  process.env.TMPDIR = dir;
}
