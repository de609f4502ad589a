/**
 * The run's temporary folder (test/helpers/run-temp-setup.ts, run-temp-teardown.ts): TMPDIR points
 * into a fresh folder for the run, and the teardown removes it with everything in it and gives
 * TMPDIR back. (Here in the test's sandbox; jest runs the same functions around the whole run.)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import runTempSetup, { sweepAbandonedRuns } from '../helpers/run-temp-setup';
import runTempTeardown from '../helpers/run-temp-teardown';

test('setup points TMPDIR into a new folder; teardown removes it and what was written there, and restores TMPDIR', () => {
  const outer = { run: globalThis.readroomRunTemp, tmpdir: process.env.TMPDIR };
  globalThis.readroomRunTemp = undefined;
  process.env.TMPDIR = outer.tmpdir ?? '/tmp';
  try {
    runTempSetup();
    const dir = process.env.TMPDIR!;
    expect([dirname(dir), basename(dir).startsWith('readroom-test-run-'), existsSync(dir)]).toEqual([outer.tmpdir ?? '/tmp', true, true]);
    expect(readFileSync(join(dir, 'owner.pid'), 'utf8')).toBe(String(process.pid));
    mkdirSync(join(dir, 'readroom-cdk-x', 'asset.1'), { recursive: true });
    writeFileSync(join(dir, 'readroom-cdk-x', 'asset.1', 'layer.zip'), 'x');
    runTempTeardown();
    expect(existsSync(dir)).toBe(false);
    expect(process.env.TMPDIR).toBe(outer.tmpdir ?? '/tmp');
    expect(globalThis.readroomRunTemp).toBeUndefined();
  } finally {
    globalThis.readroomRunTemp = outer.run;
    if (outer.tmpdir === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = outer.tmpdir;
  }
});

test("a run stopped by Ctrl-C leaves its folder; the next setup removes it, and nothing whose owner runs or is unknown", () => {
  const parent = mkdtempSync(join(tmpdir(), 'sweep-'));
  try {
    // A pid that has surely ended: a child that ran and exited.
    const ended = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const folders = { abandoned: ended.stdout, running: String(process.pid), unknown: undefined, garbled: 'not a pid' };
    for (const [name, pid] of Object.entries(folders)) {
      mkdirSync(join(parent, `readroom-test-run-${name}`, 'cdk.out'), { recursive: true });
      if (pid !== undefined) writeFileSync(join(parent, `readroom-test-run-${name}`, 'owner.pid'), pid);
    }
    mkdirSync(join(parent, 'someone-else'));

    expect(sweepAbandonedRuns(parent)).toEqual([join(parent, 'readroom-test-run-abandoned')]);
    expect(['abandoned', 'running', 'unknown', 'garbled'].map((n) => existsSync(join(parent, `readroom-test-run-${n}`)))).toEqual([false, true, true, true]);
    expect(existsSync(join(parent, 'someone-else'))).toBe(true);
  } finally {
    rmSync(parent, { recursive: true, force: true });
  }
});
