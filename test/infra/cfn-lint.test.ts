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
 * cfn-lint in one Python process for the whole file, linting batch after batch: each line on its
 * stdin is a command line, answered by one line of what `cfn-lint <that command line>` prints
 * (cfn-lint's own ConfigMixIn, Runner and formatter, matches sorted as its CLI sorts them). Started
 * before the synths, so Python's start and cfnlint's import (≈ 2 s of CPU) overlap them, and each
 * variant's new templates are linted (≈ 0.7 s of CPU each) while the next variant synthesizes.
 * The batches differ only in their templates, so the Runner (its rules and the registry schemas,
 * ≈ 0.5 s of CPU to load) is made once and given each batch's options: what one `cfn-lint` run
 * over all the templates does.
 */
const LINT_LOOP = `
import json, sys
from cfnlint.config import ConfigMixIn
from cfnlint.runner import Runner
runner = None
for line in sys.stdin:
    config = ConfigMixIn(json.loads(line))
    if runner is None:
        runner = Runner(config)
    else:
        runner.config = config
    matches = list(runner.run())
    matches.sort(key=lambda m: (m.filename, m.linenumber, m.rule.id))
    out = runner.formatter.print_matches(matches, runner.rules, config=runner.config)
    print(json.dumps(json.loads(out or "[]")), flush=True)
`;

function startLinter(): { lint: (templates: string[]) => Promise<Lint[]>; close: () => Promise<Lint[]>; stop: () => void } {
  const child = spawn('python3', ['-c', LINT_LOOP]);
  const waiting: Array<{ resolve: (lines: Lint[]) => void; reject: (e: Error) => void }> = [];
  let stderr = '';
  let buffered = '';
  child.stderr.on('data', (d) => (stderr += d));
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    buffered += d;
    for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      const next = waiting.shift();
      try {
        const findings = JSON.parse(line) as LintFinding[];
        next?.resolve(findings.map((f) => ({ file: path.resolve(f.Filename), line: `${f.Rule.Id} ${f.Level} ${path.basename(f.Filename)}:${f.Location.Start.LineNumber} ${(f.Location.Path ?? []).join('/')}: ${f.Message}` })));
      } catch (e) {
        next?.reject(new Error(`cfn-lint printed no JSON: ${line}\n${(e as Error).message}`));
      }
    }
  });
  const exited = new Promise<void>((resolve) => {
    child.on('error', (e) => {
      stderr += `cannot run python3 for cfn-lint (pip install cfn-lint): ${e.message}`;
      resolve();
    });
    child.on('close', () => resolve());
  });
  // Whatever is still waiting when it exits (cfnlint missing, a crash) fails with its stderr.
  void exited.then(() => waiting.splice(0).forEach((w) => w.reject(new Error(`cfn-lint exited: ${buffered}\n${stderr}`))));
  child.stdin.on('error', () => undefined);
  const args = ['--format', 'json', '--registry-schemas', SCHEMAS, '--ignore-checks', ...IGNORED, '--'];
  return {
    lint: (templates) => {
      const answer = new Promise<Lint[]>((resolve, reject) => {
        waiting.push({ resolve, reject });
        child.stdin.write(`${JSON.stringify([...args, ...templates])}\n`);
      });
      answer.catch(() => undefined); // awaited after the synths; a failure is reported there
      return answer;
    },
    // Ends the process; anything it wrote on stderr is a finding (it fails every variant).
    close: async () => {
      child.stdin.end();
      await exited;
      return stderr ? [{ file: '', line: `stderr: ${stderr}` }] : [];
    },
    stop: () => void (child.exitCode === null && child.kill()),
  };
}

describe('cfn-lint', () => {
  const templates: Partial<Record<VariantName, string[]>> = {};
  const findings: Partial<Record<VariantName, string[]>> = {};
  let linter: ReturnType<typeof startLinter> | undefined;
  afterAll(() => linter?.stop());
  beforeAll(async () => {
    linter = startLinter();
    const outdirs: Partial<Record<VariantName, string>> = {};
    // A template byte for byte the same as another variant's (4 of the 12: the Network stack of
    // three variants, two Data stacks) is linted once, and its findings count for each variant that
    // has it: cfn-lint reads nothing but the file.
    const sameAs = new Map<string, string[]>(); // content digest → the files with that content
    const digestOf = new Map<string, string>();
    const batches: Array<Promise<Lint[]>> = [];
    for (const variant of Object.keys(VARIANTS) as VariantName[]) {
      const outdir = mkdtempSync(path.join(tmpdir(), `readroom-lint-${variant}-`));
      // Built-in validation on: a template CloudFormation's own validator rejects fails synth here.
      // The CLI's metadata context too, so the templates are byte for byte what `cdk synth` writes
      // (cfn-lint recognises CDK output by its aws:cdk:path metadata), assets staged as it stages
      // them (aws:asset:path names the staged copy).
      const app = createTestApp({ outdir, builtinValidation: true, stageAssets: true, context: CLI_CONTEXT });
      addStudy(app, VARIANTS[variant]());
      app.synth();
      outdirs[variant] = outdir;
      templates[variant] = readdirSync(outdir).filter((f) => f.endsWith('.template.json')).map((f) => path.join(outdir, f));
      const fresh: string[] = [];
      for (const file of templates[variant]!) {
        const digest = createHash('sha256').update(readFileSync(file)).digest('hex');
        digestOf.set(file, digest);
        if (!sameAs.has(digest)) fresh.push(file);
        sameAs.set(digest, [...(sameAs.get(digest) ?? []), file]);
      }
      // Linted while the next variant synthesizes.
      if (fresh.length) batches.push(linter.lint(fresh));
    }
    const linted = [...(await Promise.all(batches)).flat(), ...(await linter.close())];
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
