/**
 * The README's first command, `npm run synth -- [<study>…]` (bin/synth.ts): it checks the study it
 * is given (not the example whatever the arguments), lints only that study's templates, and works
 * with no AWS credentials even when the study file names its `account` (synth looks nothing up).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { USAGE, planSynth } from '../../bin/synth';
import { loadStudy } from '../../bin/load-study';
import { addStudy } from '../../lib/stacks';
import { buildStudy } from '../helpers/studies';
import { createTestApp } from '../helpers/test-app';

const ROOT = path.join(__dirname, '..', '..');
/** A finished child process: what spawnSync returns, without blocking the file's other tests. */
interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}
function run(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(ROOT, 'node_modules', '.bin', 'tsx'), args, { cwd: ROOT, env });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}
const templatesOf = (...ids: string[]) => ids.flatMap((id) => ['Network', 'Data', 'Reading'].map((s) => `ReadRoom-${id}-${s}.template.json`));

describe('the command line', () => {
  test('without a study it checks the example, into cdk.out', () => {
    const plan = planSynth([], ROOT);
    expect(plan.studies).toEqual(['example']);
    expect(plan.out).toBe(path.join(ROOT, 'cdk.out'));
    expect(plan.cdkArgs).toEqual(['synth', '--quiet', '--no-notices', '--output', plan.out, '-c', 'study=example']);
    expect(plan.templates.map((t) => path.relative(plan.out, t))).toEqual(templatesOf('example'));
  });

  test.each([[['glaucoma']], [['-c', 'study=glaucoma']], [['--context', 'study=glaucoma']], [['--context=study=glaucoma']]])('%j checks glaucoma, and lints its templates only', (argv) => {
    const plan = planSynth(argv, ROOT);
    expect(plan.studies).toEqual(['glaucoma']);
    expect(plan.cdkArgs.slice(-2)).toEqual(['-c', 'study=glaucoma']);
    expect(plan.templates.map((t) => path.basename(t))).toEqual(templatesOf('glaucoma'));
  });

  test('several studies, either way, each once; --out moves the assembly', () => {
    const plan = planSynth(['glaucoma', '-c', 'study=example,glaucoma', '--out', 'elsewhere'], ROOT);
    expect(plan.studies).toEqual(['glaucoma', 'example']);
    expect(plan.out).toBe(path.resolve('elsewhere'));
    expect(plan.cdkArgs.slice(-2)).toEqual(['-c', 'study=glaucoma,example']);
    expect(plan.templates.map((t) => path.basename(t))).toEqual(templatesOf('glaucoma', 'example'));
  });

  test.each([
    [['--all'], /unknown option '--all'/],
    [['-c', 'stage=prod'], /unknown context 'stage=prod': only study=<id> is read/],
    [['--out'], /--out needs a folder/],
  ])('%j is refused with the usage', (argv, message) => {
    expect(() => planSynth(argv, ROOT)).toThrow(message);
    expect(() => planSynth(argv, ROOT)).toThrow(USAGE);
  });
});

describe('no lookups', () => {
  test('a study with an account needs no context from AWS (no availability-zone lookup)', () => {
    for (const study of [buildStudy({ account: '123456789012' }), loadStudy('glaucoma')]) {
      expect(study.account).toMatch(/^\d{12}$/);
      const app = createTestApp();
      const stacks = addStudy(app, study);
      expect(stacks.network.availabilityZones).toEqual(study.network.availabilityZones);
      // What the CDK CLI would look up in the account (and write to cdk.context.json).
      expect(app.synth().manifest.missing ?? []).toEqual([]);
    }
  }, 60_000);
});

// The two command runs (seconds each: tsx, the cdk CLI, a synth, cfn-lint) start before the file's
// first test and are awaited where they are checked, so the in-process tests above run meanwhile.
const contextFile = path.join(ROOT, 'cdk.context.json');
const stamp = () => (existsSync(contextFile) ? statSync(contextFile).mtimeMs : 'absent');
let glaucoma: { out: string; before: number | string; result: Promise<Run> };
let unknown: Promise<Run>;
beforeAll(() => {
  const out = mkdtempSync(path.join(tmpdir(), 'readroom-synth-'));
  const before = stamp();
  // A fresh machine: no credentials in the environment, no profile or config files, no instance role.
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: mkdtempSync(path.join(tmpdir(), 'readroom-home-')), AWS_EC2_METADATA_DISABLED: 'true' };
  for (const k of Object.keys(env)) if (/^AWS_(ACCESS_KEY_ID|SECRET_ACCESS_KEY|SESSION_TOKEN|PROFILE|DEFAULT_PROFILE|CONFIG_FILE|SHARED_CREDENTIALS_FILE)$/.test(k)) delete env[k];
  env.AWS_CONFIG_FILE = path.join(out, 'no-config');
  env.AWS_SHARED_CREDENTIALS_FILE = path.join(out, 'no-credentials');
  glaucoma = { out, before, result: run(['bin/synth.ts', 'glaucoma', '--out', out], env) };
  unknown = run(['bin/synth.ts', 'nope']);
});

describe('npm run synth -- glaucoma, with no AWS credentials', () => {
  let result: Run;
  let out: string;
  let before: number | string;
  beforeAll(async () => {
    ({ out, before } = glaucoma);
    result = await glaucoma.result;
  }, 240_000);

  test('succeeds: nag and cfn-lint clean for glaucoma', () => {
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: expect.any(String) });
    expect(result.stdout).toContain('synth: cdk-nag and cfn-lint clean for glaucoma (3 templates');
  });

  test("lints glaucoma's three templates and no other study's", () => {
    const linted = String(result.stdout).split('\n').find((l) => l.startsWith('cfn-lint: '));
    expect(linted?.slice('cfn-lint: '.length).split(' ')).toEqual(templatesOf('glaucoma'));
    expect(readdirSync(out).filter((f) => f.endsWith('.template.json')).sort()).toEqual(templatesOf('glaucoma').sort());
  });

  test('writes no cdk.context.json (it looked nothing up)', () => {
    expect(stamp()).toBe(before);
    expect(before).toBe('absent');
  });
});

test('an unknown study fails before cdk starts, naming the file to copy', async () => {
  const run = await unknown;
  expect(run.status).toBe(2);
  expect(run.stderr).toMatch(/No study file studies\/nope\.json\. Copy studies\/example\.json to start one\./);
  expect(run.stdout).not.toContain('synth: nope');
}, 60_000);
