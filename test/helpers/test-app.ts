/**
 * One way to build a CDK app in tests. It loads the feature flags from cdk.json (jest's `new App()`
 * does not read cdk.json, aws/aws-cdk#17553), turns off asset bundling (no esbuild in template
 * tests) and, unless asked, turns off aws-cdk-lib's built-in CloudFormation template validation,
 * which costs seconds per synth. The cfn-lint test keeps it on, so one path still runs it.
 *
 * Unless asked, assets stay where they are instead of being copied into the cloud assembly (a full
 * study's include aws-cdk-lib's 22 MB AWS CLI layer: ≈ 0.1 s and 22 MB of disk per synth, ~80
 * synths a run), and constructs record no creation stack trace (≈ 2 s of CPU a run, most of it
 * jest's source maps). Neither shows in a template: asset hashes come from the assets' content,
 * and both are cloud-assembly metadata (the cfn-lint test compares templates with `cdk synth`'s).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, cx_api as cxapi } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { StudyConfig } from '../../lib/config/schema';
import { StudyStacks, addStudy } from '../../lib/stacks';
import cdkJson from '../../cdk.json';

export interface TestAppOptions {
  /**
   * Keep aws-cdk-lib's built-in CloudFormation validation on.
   * @default false
   */
  readonly builtinValidation?: boolean;
  /** Where the cloud assembly goes. @default - a fresh temporary directory */
  readonly outdir?: string;
  /**
   * Copy assets into the cloud assembly, as `cdk synth` does, for a test that reads them there.
   * @default false
   */
  readonly stageAssets?: boolean;
  /** Extra context on top of cdk.json's. */
  readonly context?: Record<string, unknown>;
}

export function createTestApp(options: TestAppOptions = {}): App {
  return new App({
    outdir: options.outdir ?? mkdtempSync(path.join(tmpdir(), 'readroom-cdk-')),
    context: {
      ...cdkJson.context,
      'aws:cdk:bundling-stacks': [],
      [cxapi.DISABLE_ASSET_STAGING_CONTEXT]: !options.stageAssets,
      [cxapi.DISABLE_CREATION_STACK_TRACES]: true,
      ...options.context,
    },
    stackTraces: false,
    builtinCloudFormationValidation: options.builtinValidation ?? false,
  });
}

/** One study's app, stacks and templates, synthesized once. */
export interface SynthesizedStudy {
  readonly app: App;
  readonly study: StudyConfig;
  readonly stacks: StudyStacks;
  readonly network: Template;
  readonly data: Template;
  readonly reading: Template;
}

/** Adds the study to a fresh test app and synthesizes it (share the result across a file's tests). */
export function synthStudy(study: StudyConfig, options: TestAppOptions = {}): SynthesizedStudy {
  const app = createTestApp(options);
  const stacks = addStudy(app, study);
  return {
    app,
    study,
    stacks,
    network: Template.fromStack(stacks.network),
    data: Template.fromStack(stacks.data),
    reading: Template.fromStack(stacks.reading),
  };
}
