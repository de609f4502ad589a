/**
 * The run's temporary folder (test/helpers/run-temp-setup.ts, run-temp-teardown.ts): TMPDIR points
 * into a fresh folder for the run, and the teardown removes it with everything in it and gives
 * TMPDIR back. (Here in the test's sandbox; jest runs the same functions around the whole run.)
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import runTempSetup from '../helpers/run-temp-setup';
import runTempTeardown from '../helpers/run-temp-teardown';

test('setup points TMPDIR into a new folder; teardown removes it and what was written there, and restores TMPDIR', () => {
  const outer = { run: globalThis.readroomRunTemp, tmpdir: process.env.TMPDIR };
  globalThis.readroomRunTemp = undefined;
  process.env.TMPDIR = outer.tmpdir ?? '/tmp';
  try {
    runTempSetup();
    const dir = process.env.TMPDIR!;
    expect([dirname(dir), basename(dir).startsWith('readroom-test-run-'), existsSync(dir)]).toEqual([outer.tmpdir ?? '/tmp', true, true]);
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
