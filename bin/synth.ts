#!/usr/bin/env node
/**
 * `npm run synth -- [<study id>…]`: checks studies the way a deploy would see them. It validates
 * each study file, runs `cdk synth` for exactly those studies (esbuild bundles, cdk-nag's three
 * packs, which fail the synth on any unacknowledged finding) into a fresh output folder, then runs
 * cfn-lint on those studies' templates and nothing else. Default study: `example`. Needs no AWS
 * account, credentials or network (a study's `account` causes no lookup: lib/stacks/study-stack.ts).
 *
 *   npm run synth                      # the example study
 *   npm run synth -- glaucoma          # studies/glaucoma.json
 *   npm run synth -- a b               # several (also: -c study=a,b, as cdk takes it)
 *   npm run synth -- glaucoma --out /tmp/out
 */
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { studyNames } from '../lib/config/names';
import { loadStudy } from './load-study';

const ROOT = path.join(__dirname, '..');
const CDK = path.join(ROOT, 'node_modules', '.bin', 'cdk');
/** Overlays for out-of-date cfn-lint schemas (see its README); W3005 is CDK's own DependsOn. */
const CFN_LINT_ARGS = ['--registry-schemas', path.join(ROOT, 'test', 'infra', 'cfn-lint-schemas'), '--ignore-checks', 'W3005'];
/** The versions the project is tested with (README, Prerequisites). */
const CFN_LINT_INSTALL = "pip install 'cfn-lint==1.51.0'";

export interface SynthPlan {
  readonly studies: string[];
  /** Cloud assembly folder, emptied first. */
  readonly out: string;
  /** Arguments of `cdk`. */
  readonly cdkArgs: string[];
  /** The templates cfn-lint checks: the three stacks of each study, by name. */
  readonly templates: string[];
}

export const USAGE = 'usage: npm run synth -- [<study id>…] [-c study=<id>[,<id>…]] [--out <folder>]';

/** Reads the command line into a plan; throws with the usage on anything it does not know. */
export function planSynth(argv: readonly string[], root = ROOT): SynthPlan {
  const studies: string[] = [];
  let out = path.join(root, 'cdk.out');
  const ids = (list: string) => studies.push(...list.split(',').map((s) => s.trim()).filter(Boolean));
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const context = arg === '-c' || arg === '--context' ? argv[++i] : arg.startsWith('--context=') ? arg.slice('--context='.length) : undefined;
    if (context !== undefined) {
      const match = /^study=(.*)$/.exec(context);
      if (!match) throw new Error(`unknown context '${context}': only study=<id> is read\n${USAGE}`);
      ids(match[1]);
    } else if (arg === '--out' || arg === '-o') {
      if (!argv[i + 1]) throw new Error(`${arg} needs a folder\n${USAGE}`);
      out = path.resolve(argv[++i]);
    } else if (arg.startsWith('-')) {
      throw new Error(`unknown option '${arg}'\n${USAGE}`);
    } else {
      ids(arg);
    }
  }
  if (studies.length === 0) studies.push('example');
  const unique = [...new Set(studies)];
  return {
    studies: unique,
    out,
    // --no-notices: the notices fetch is the only network call synth would make.
    cdkArgs: ['synth', '--quiet', '--no-notices', '--output', out, '-c', `study=${unique.join(',')}`],
    templates: unique.flatMap((id) => {
      const names = studyNames(id);
      return [names.networkStack, names.dataStack, names.readingStack].map((stack) => path.join(out, `${stack}.template.json`));
    }),
  };
}

function main(): number {
  let plan: SynthPlan;
  try {
    plan = planSynth(process.argv.slice(2));
    // A bad study file is a message for a person, before cdk starts.
    for (const id of plan.studies) loadStudy(id);
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
  const label = plan.studies.join(', ');
  rmSync(plan.out, { recursive: true, force: true });
  console.log(`synth: ${label} (cdk-nag: AWS Solutions, HIPAA, NIST 800-53 r5)`);
  const env = { ...process.env, CDK_DISABLE_VERSION_CHECK: process.env.CDK_DISABLE_VERSION_CHECK ?? '1', CDK_DISABLE_CLI_TELEMETRY: process.env.CDK_DISABLE_CLI_TELEMETRY ?? 'true' };
  const synth = spawnSync(CDK, plan.cdkArgs, { cwd: ROOT, stdio: 'inherit', env });
  if (synth.status !== 0) {
    console.error(`synth: cdk synth failed for ${label}`);
    return synth.status ?? 1;
  }
  const missing = plan.templates.filter((t) => !existsSync(t));
  if (missing.length) {
    console.error(`synth: cdk synth wrote no ${missing.map((t) => path.basename(t)).join(', ')}`);
    return 1;
  }
  console.log(`cfn-lint: ${plan.templates.map((t) => path.basename(t)).join(' ')}`);
  const lint = spawnSync('cfn-lint', [...CFN_LINT_ARGS, '--', ...plan.templates], { cwd: ROOT, stdio: 'inherit' });
  if (lint.error) {
    console.error(`synth: cannot run cfn-lint (${(lint.error as NodeJS.ErrnoException).code}); install it: ${CFN_LINT_INSTALL}`);
    return 1;
  }
  if (lint.status !== 0) {
    console.error(`synth: cfn-lint found problems in the templates of ${label}`);
    return lint.status ?? 1;
  }
  console.log(`synth: cdk-nag and cfn-lint clean for ${label} (${plan.templates.length} templates in ${path.relative(process.cwd(), plan.out) || '.'})`);
  return 0;
}

if (require.main === module) process.exit(main());
