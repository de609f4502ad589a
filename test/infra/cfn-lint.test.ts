/**
 * cfn-lint on every synthesized template: the example study's three stacks plus the Elastic and
 * `destroy` variants, zero errors and zero warnings. This is also the one test path that keeps
 * aws-cdk-lib's built-in CloudFormation validation on (it runs during `app.synth()`).
 *
 * Ignored: W3005 ("dependency already enforced by GetAtt"). CDK itself writes those DependsOn
 * (a Lambda function on its role, in the singleton custom-resource providers).
 * Schema overlays: see ./cfn-lint-schemas/README.md.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { addStudy } from '../../lib/stacks';
import { VARIANTS, VariantName } from '../helpers/studies';
import { createTestApp } from '../helpers/test-app';

const IGNORED = ['W3005'];
const SCHEMAS = path.join(__dirname, 'cfn-lint-schemas');
/** What the CDK CLI adds to the context of `cdk synth`. */
const CLI_CONTEXT = { 'aws:cdk:enable-path-metadata': true, 'aws:cdk:enable-asset-metadata': true, 'aws:cdk:version-reporting': true };

interface LintFinding {
  Rule: { Id: string };
  Level: string;
  Message: string;
  Filename: string;
  Location: { Start: { LineNumber: number }; Path?: Array<string | number> };
}

/** One finding, or stderr (file ''), as a line for the test's message. */
interface Lint {
  readonly file: string;
  readonly line: string;
}

/**
 * cfn-lint's own command line (`cfnlint.runner.main`, what the `cfn-lint` script runs), started
 * before the synths: Python's start and cfnlint's import (≈ 2 s of CPU, 3–5 s of wall on a busy
 * machine) overlap them instead of following them. Its arguments come on stdin once the templates
 * exist; from there on it is the same run as `cfn-lint <arguments>`.
 */
function startLint(): { lint: (templates: string[]) => Promise<Lint[]>; stop: () => void } {
  const script = 'import sys, json\nfrom cfnlint.runner import main\nsys.argv = ["cfn-lint", *json.loads(sys.stdin.read())]\nsys.exit(main())';
  const child = spawn('python3', ['-c', script]);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const done = new Promise<void>((resolve, reject) => {
    child.on('error', (e) => reject(new Error(`cannot run python3 for cfn-lint (pip install cfn-lint): ${e.message}`)));
    child.on('close', () => resolve());
  });
  done.catch(() => undefined); // reported by lint(), which awaits it
  // A failed synth ends the file before stdin is written: stop() then ends the child.
  child.stdin.on('error', () => undefined);
  const stop = () => void (child.exitCode === null && child.kill());
  const lint = async (templates: string[]) => {
    child.stdin.end(JSON.stringify(['--format', 'json', '--registry-schemas', SCHEMAS, '--ignore-checks', ...IGNORED, '--', ...templates]));
    await done;
    try {
      const findings = JSON.parse(stdout || '[]') as LintFinding[];
      const lines = findings.map((f) => ({ file: path.resolve(f.Filename), line: `${f.Rule.Id} ${f.Level} ${path.basename(f.Filename)}:${f.Location.Start.LineNumber} ${(f.Location.Path ?? []).join('/')}: ${f.Message}` }));
      return stderr ? [...lines, { file: '', line: `stderr: ${stderr}` }] : lines;
    } catch (e) {
      throw new Error(`cfn-lint printed no JSON (is it installed for python3? pip install cfn-lint): ${stdout}\n${stderr}\n${(e as Error).message}`);
    }
  };
  return { lint, stop };
}

describe('cfn-lint', () => {
  const templates: Partial<Record<VariantName, string[]>> = {};
  const findings: Partial<Record<VariantName, string[]>> = {};
  let linter: ReturnType<typeof startLint> | undefined;
  afterAll(() => linter?.stop());
  beforeAll(async () => {
    linter = startLint();
    const outdirs: Partial<Record<VariantName, string>> = {};
    for (const variant of Object.keys(VARIANTS) as VariantName[]) {
      const outdir = mkdtempSync(path.join(tmpdir(), `readroom-lint-${variant}-`));
      // Built-in validation on: a template CloudFormation's own validator rejects fails synth here.
      // The CLI's metadata context too, so the templates are byte for byte what `cdk synth` writes
      // (cfn-lint recognises CDK output by its aws:cdk:path metadata).
      const app = createTestApp({ outdir, builtinValidation: true, context: CLI_CONTEXT });
      addStudy(app, VARIANTS[variant]());
      app.synth();
      outdirs[variant] = outdir;
      templates[variant] = readdirSync(outdir).filter((f) => f.endsWith('.template.json')).map((f) => path.join(outdir, f));
    }
    // One cfn-lint over every variant's templates: its start (loading the resource schemas) costs
    // seconds, each template about one more. A template byte for byte the same as another
    // variant's (4 of the 12: the Network stack of three variants, two Data stacks) is linted once,
    // and its findings count for each variant that has it: cfn-lint reads nothing but the file.
    const sameAs = new Map<string, string[]>(); // content digest → the files with that content
    const digestOf = new Map<string, string>();
    for (const file of Object.values(templates).flat()) {
      const digest = createHash('sha256').update(readFileSync(file)).digest('hex');
      digestOf.set(file, digest);
      sameAs.set(digest, [...(sameAs.get(digest) ?? []), file]);
    }
    const linted = await linter.lint([...sameAs.values()].map((files) => files[0]));
    const all = linted.flatMap((f) => (sameAs.get(digestOf.get(f.file) ?? '') ?? [f.file]).map((file) => ({ ...f, file })));
    // Each finding goes back to its variant by its folder.
    for (const variant of Object.keys(outdirs) as VariantName[]) findings[variant] = all.filter((f) => f.file.startsWith(outdirs[variant]! + path.sep)).map((f) => f.line);
    const unplaced = all.filter((f) => !Object.values(outdirs).some((dir) => f.file.startsWith(dir + path.sep)));
    // stderr, or a finding in no variant's folder, would otherwise be lost: it fails every variant.
    if (unplaced.length) for (const variant of Object.keys(outdirs) as VariantName[]) findings[variant]!.push(...unplaced.map((f) => f.line));
  }, 300_000); // ≈ 35 s of CPU (four synths, the built-in validator's first start, cfn-lint): 180 s ran out at load 17

  test.each(Object.keys(VARIANTS) as VariantName[])('the %s study synthesizes three templates with no error and no warning', (variant) => {
    expect(templates[variant]!.map((t) => path.basename(t)).sort()).toEqual(['Data', 'Network', 'Reading'].map((s) => `ReadRoom-example-${s}.template.json`));
    if (findings[variant]!.length) console.log(`cfn-lint findings (${variant}):\n${findings[variant]!.join('\n')}`);
    expect(findings[variant]).toEqual([]);
  });
});
