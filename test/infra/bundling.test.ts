/**
 * One real bundle per function (the other infra tests turn bundling off): esbuild runs locally,
 * each asset has a handler, and the study's reading config is inlined at bundle time instead of
 * living in Lambda's 4 KB environment.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { addStudy } from '../../lib/stacks';
import { buildStudy } from '../helpers/studies';
import { createTestApp } from '../helpers/test-app';
import { resourcesOfType } from '../helpers/template';
import { Template } from 'aws-cdk-lib/assertions';

let app: App;
let assets: Record<string, string>;
beforeAll(() => {
  app = createTestApp({ context: { 'aws:cdk:bundling-stacks': ['**'], 'aws:cdk:enable-asset-metadata': true } });
  const { reading } = addStudy(app, buildStudy());
  const out = app.synth().directory;
  const functions = resourcesOfType(Template.fromStack(reading), 'AWS::Lambda::Function');
  assets = Object.fromEntries(
    Object.entries(functions)
      .filter(([id]) => id.startsWith('Api'))
      .map(([id, f]) => [id, readFileSync(path.join(out, (f.Metadata as Record<string, string>)['aws:asset:path'], 'index.js'), 'utf8')]),
  );
}, 60_000);

test('every reading function is bundled into index.js with a handler export', () => {
  expect(Object.keys(assets)).toHaveLength(5);
  for (const code of Object.values(assets)) expect(code).toMatch(/handler/);
});

test('the reading config is inlined, not read from the Lambda environment', () => {
  for (const code of Object.values(assets)) {
    expect(code).not.toContain('process.env.READROOM_READING_CONFIG');
    expect(code).toContain('knhanes-eye-default');
  }
});

test('bundles differ per function (each has only its own handler)', () => {
  expect(new Set(Object.values(assets)).size).toBe(5);
});

// Size and content are deterministic, so they are tested; time is only benchmarked (npm run bench).
test('every bundle is at most 1 MB minified (issue 3 target)', () => {
  for (const [id, code] of Object.entries(assets)) expect({ id, bytes: Buffer.byteLength(code) <= 1_000_000 }).toEqual({ id, bytes: true });
});

test("each bundle holds only the SDK clients its function uses, and none of zod's error locales", () => {
  const clients = (code: string) =>
    ['AppStream', 'S3', 'DynamoDB'].filter((c) => new RegExp(`\\b${c === 'DynamoDB' ? 'DynamoDB_20120810' : c === 'S3' ? 'AmazonS3' : 'PhotonAdminProxyService'}\\b`).test(code));
  const byFunction = Object.fromEntries(Object.entries(assets).map(([id, code]) => [id.replace(/Function.*$/, ''), clients(code)]));
  expect(byFunction).toEqual({
    ApiReader: ['AppStream', 'DynamoDB'],
    ApiAdjudication: ['DynamoDB'],
    ApiCoordinator: ['S3', 'DynamoDB'],
    ApiRegistry: ['S3', 'DynamoDB'],
    ApiCaseFiles: ['AppStream', 'S3', 'DynamoDB'],
  });
  // zod's other-language messages (here the German one) come in with `import { z }`, which bundles
  // the whole namespace object; `import * as z` lets esbuild keep only what is used.
  for (const code of Object.values(assets)) expect(code).not.toContain('Eingabe: erwartet');
});
