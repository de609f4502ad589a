/**
 * The bundled command as a coordinator runs it: built the way `npm run build:cli` builds it, then
 * started with node (no TypeScript loader), arguments in, exit code and output out.
 */
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { buildSync } from 'esbuild';
import { IDENTIFYING, dicomBytes, tempDir, writeTree } from './fixtures';

const ROOT = path.join(__dirname, '..', '..');
let tmp: ReturnType<typeof tempDir>;
let bin: string;
beforeAll(() => {
  tmp = tempDir();
  // Beside dist/ so the bundle finds studies/ the same way (../studies from its folder).
  bin = path.join(ROOT, 'dist', `readroom-test-${process.pid}.js`);
  const pkg = require(path.join(ROOT, 'package.json'));
  const args = pkg.scripts['build:cli'] as string;
  expect(args).toMatch(/--bundle --platform=node --target=node20 --outfile=dist\/readroom\.js/);
  buildSync({ entryPoints: [path.join(ROOT, 'cli/readroom.ts')], bundle: true, platform: 'node', target: 'node20', outfile: bin, logLevel: 'warning' });
});
afterAll(() => {
  tmp.cleanup();
  require('node:fs').rmSync(bin, { force: true });
});

// Asynchronous, so a test's independent invocations (each a Node start, ≈ 0.3–0.6 s) run side by side.
const run = (...args: string[]) =>
  new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    execFile(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, AWS_ENDPOINT_URL: '' } }, (error, stdout, stderr) => {
      // A non-zero exit is an outcome to check; only a failure to start (no exit code) is not.
      if (error && typeof error.code !== 'number') return reject(error);
      resolve({ status: error ? (error.code as number) : 0, stdout, stderr });
    });
  });

test('--help works and lists the ingest command; its help states the exit codes', async () => {
  const [r, i] = await Promise.all([run('--help'), run('ingest', '--help')]);
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/ingest \[options\] <folder>/);
  expect(i.status).toBe(0);
  expect(i.stdout).toMatch(/3 the gate refused some cases/);
});

test('bad arguments exit 2 with a message that says what is wrong', async () => {
  const [nostudyflag, nostudy, nofolder, noconcurrency] = await Promise.all([
    run('ingest', tmp.dir), // --study missing
    run('ingest', tmp.dir, '--study', 'nosuchstudy', '--dry-run'),
    run('ingest', path.join(tmp.dir, 'missing'), '--study', 'example', '--dry-run'),
    run('ingest', tmp.dir, '--study', 'example', '--concurrency', '0'),
  ]);
  expect(nostudyflag.status).toBe(2);
  expect(nostudy.status).toBe(2);
  expect(nostudy.stderr).toMatch(/No study file studies\/nosuchstudy\.json|No study file .*nosuchstudy\.json/);
  expect(nofolder.status).toBe(2);
  expect(nofolder.stderr).toMatch(/is not a folder of cases/);
  expect(noconcurrency.status).toBe(2);
});

test('a dry run with --json reports every refused file with tag, keyword and rule, and exits 3', async () => {
  const folder = path.join(tmp.dir, 'batch');
  writeTree(folder, {
    'K-001/fundus/OD.dcm': dicomBytes({ caseId: 'K-001' }),
    'K-002/fundus/OD.dcm': dicomBytes({ caseId: 'K-002', extra: [IDENTIFYING.birthDate] }),
  });
  const [r, human] = await Promise.all([run('ingest', folder, '--study', 'example', '--dry-run', '--json'), run('ingest', folder, '--study', 'example', '--dry-run')]);
  expect(r.status).toBe(3);
  const report = JSON.parse(r.stdout);
  expect(report.cases.map((c: { caseId: string; status: string }) => [c.caseId, c.status])).toEqual([
    ['K-001', 'planned'],
    ['K-002', 'refused'],
  ]);
  expect(report.cases[1].findings).toEqual([expect.objectContaining({ file: 'K-002/fundus/OD.dcm', tag: '(0010,0030)', keyword: 'PatientBirthDate', rule: 'annex-e' })]);
  expect(human.stderr).toMatch(/REFUSED {2}K-002/);
  expect(human.stderr).toMatch(/\(0010,0030\) PatientBirthDate {2}\[annex-e\]/);
});
