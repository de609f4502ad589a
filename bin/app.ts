#!/usr/bin/env node
/**
 * Composition root: the only place that reads the outside world. It picks the study files from
 * `-c study=<id>[,<id>…]` (default `example`), validates them, adds their stacks and registers the
 * cdk-nag rule packs as validation plugins, so `cdk synth` fails on an unacknowledged finding.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks } from 'cdk-nag';
import { addStudy } from '../lib/stacks';
import { loadStudy } from './load-study';

// aws-cdk-lib's built-in CloudFormation validation costs ~4 s per synth; `npm run synth` and the
// tests run cfn-lint on every template instead, and the cfn-lint test keeps the built-in one on.
const app = new App({ builtinCloudFormationValidation: false });
const ids = String(app.node.tryGetContext('study') ?? 'example')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);

try {
  for (const id of ids) addStudy(app, loadStudy(id));
} catch (e) {
  // A config mistake is a message for a person, not a stack trace.
  console.error((e as Error).message);
  process.exit(1);
}

Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new HIPAASecurityChecks(app), new NIST80053R5Checks(app));
app.synth();
