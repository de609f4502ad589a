/**
 * One real bundle per function (the other infra tests turn bundling off): esbuild runs locally,
 * each asset has a handler, and the study's reading config is inlined at bundle time instead of
 * living in Lambda's 4 KB environment.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { addStudy } from '../../lib/stacks';
import { buildStudy } from '../helpers/studies';
import { createTestApp } from '../helpers/test-app';
import { resourcesOfType } from '../helpers/template';
import { Template } from 'aws-cdk-lib/assertions';
import { buildBundles } from '../../lib/build/bundles';
import { READING_FUNCTIONS } from '../../lib/constructs/reading-api';

const IDS = Object.values(READING_FUNCTIONS).map((f) => f.id);

let app: App;
let assets: Record<string, string>;
beforeAll(() => {
  app = createTestApp({ stageAssets: true, context: { 'aws:cdk:bundling-stacks': ['**'], 'aws:cdk:enable-asset-metadata': true } });
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
  expect(Object.keys(assets).map((id) => IDS.find((fn) => id.startsWith(`Api${fn}`))).sort()).toEqual([...IDS].sort());
  for (const code of Object.values(assets)) expect(code).toMatch(/handler/);
});

test('the reading config is inlined, not read from the Lambda environment', () => {
  for (const code of Object.values(assets)) {
    expect(code).not.toContain('process.env.READROOM_READING_CONFIG');
    expect(code).toContain('knhanes-eye-default');
  }
});

test("the study's display name (GET /study) is inlined beside it", () => {
  for (const code of Object.values(assets)) expect(code).not.toContain('process.env.READROOM_STUDY_DISPLAY_NAME');
  expect(assets[Object.keys(assets).find((id) => id.startsWith('ApiReader'))!]).toContain('Eye Survey Grading 2026');
});

test('bundles differ per function (each has only its own handler)', () => {
  expect(new Set(Object.values(assets)).size).toBe(IDS.length);
});

// Size and content are deterministic, so they are tested; time is only benchmarked (npm run bench).
test('every bundle is at most 1 MB minified (issue 3 target)', () => {
  for (const [id, code] of Object.entries(assets)) expect({ id, bytes: Buffer.byteLength(code) <= 1_000_000 }).toEqual({ id, bytes: true });
});

// Each function imports the SDK clients it uses from lambda/runtime/clients/<service>.ts (one module
// per service, created once per container); esbuild keeps only those, and of each only the
// commands the function sends. Recognised here by each client's service id in the minified code.
test("each bundle holds only the SDK clients its function uses, and none of zod's error locales", () => {
  const clients = (code: string) =>
    ['AppStream', 'S3', 'DynamoDB', 'Cognito'].filter((c) =>
      new RegExp(`\\b${c === 'DynamoDB' ? 'DynamoDB_20120810' : c === 'S3' ? 'AmazonS3' : c === 'Cognito' ? 'AWSCognitoIdentityProviderService' : 'PhotonAdminProxyService'}\\b`).test(code),
    );
  const byFunction = Object.fromEntries(Object.entries(assets).map(([id, code]) => [id.replace(/Function.*$/, ''), clients(code)]));
  expect(byFunction).toEqual({
    ApiReader: ['AppStream', 'DynamoDB'],
    ApiAdjudication: ['AppStream', 'DynamoDB'],
    ApiCoordinator: ['S3', 'DynamoDB', 'Cognito'],
    ApiExportWorker: ['S3', 'DynamoDB'],
    ApiRegistry: ['S3', 'DynamoDB'],
    ApiCaseFiles: ['AppStream', 'S3', 'DynamoDB'],
  });
  // zod's other-language messages (here the German one) come in with `import { z }`, which bundles
  // the whole namespace object; `import * as z` lets esbuild keep only what is used.
  for (const code of Object.values(assets)) expect(code).not.toContain('Eingabe: erwartet');
});

describe('bundle cache between synths', () => {
  // A tiny function tree of its own, so the test can edit sources without touching lambda/.
  let root: string;
  let cacheDir: string;
  const build = () => buildBundles({ root, define: { 'process.env.GREETING': '"hi"' }, cacheDir });
  const output = (dir: string) => readFileSync(path.join(dir, 'fn', 'index.js'), 'utf8');
  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'readroom-bundle-src-'));
    cacheDir = mkdtempSync(path.join(tmpdir(), 'readroom-bundle-cache-'));
    mkdirSync(path.join(root, 'fn'));
    mkdirSync(path.join(root, 'shared'));
    writeFileSync(path.join(root, 'fn', 'handler.ts'), "import { word } from '../shared/word';\nexport const handler = () => `${process.env.GREETING} ${word}`;\n");
    writeFileSync(path.join(root, 'shared', 'word.ts'), "export const word = 'first';\n");
  });

  test('a second build with nothing changed reuses the cached output', () => {
    const first = build();
    expect(output(first)).toContain('first');
    const second = build();
    expect(second.startsWith(cacheDir)).toBe(true);
    expect(output(second)).toBe(output(first));
  });

  test('editing a shared module (not the handler) rebuilds', () => {
    build();
    writeFileSync(path.join(root, 'shared', 'word.ts'), "export const word = 'second';\n");
    const again = build();
    expect(again.startsWith(cacheDir)).toBe(false);
    expect(output(again)).toContain('second');
  });

  test('a new file that changes what an import resolves to rebuilds', () => {
    build();
    mkdirSync(path.join(root, 'shared', 'word'));
    writeFileSync(path.join(root, 'shared', 'word', 'index.ts'), "export const word = 'shadow';\n");
    rmSync(path.join(root, 'shared', 'word.ts'));
    expect(output(build())).toContain('shadow');
  });

  test('another define set is another cache entry', () => {
    build();
    const other = buildBundles({ root, define: { 'process.env.GREETING': '"annyeong"' }, cacheDir });
    expect(output(other)).toContain('annyeong');
    const first = build();
    expect(first.startsWith(cacheDir)).toBe(true);
    expect(output(first)).toContain('`hi ');
  });
});
