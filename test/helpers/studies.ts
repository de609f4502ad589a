/**
 * Study fixtures: studies/example.json (as written, `$schema` removed) with overrides, and the
 * variants the infra tests cover. Every builder returns a fresh deep copy.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { StudyConfig, StudyConfigInput, parseStudyConfig } from '../../lib/config/schema';

export const EXAMPLE_FILE = path.join(__dirname, '..', '..', 'studies', 'example.json');

/** The example study file as raw input (no defaults applied). */
export function exampleInput(): StudyConfigInput {
  const { $schema: _schema, ...body } = JSON.parse(readFileSync(EXAMPLE_FILE, 'utf8')) as Record<string, unknown>;
  return body as unknown as StudyConfigInput;
}

type Json = unknown;
const isObject = (v: Json): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Deep merge where objects merge key by key and arrays or scalars replace; `undefined` deletes a key. */
export function merge<T>(base: T, overrides: Json): T {
  if (!isObject(base) || !isObject(overrides)) return structuredClone(overrides) as T;
  const out: Record<string, Json> = structuredClone(base) as Record<string, Json>;
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined) delete out[k];
    else out[k] = isObject(out[k]) && isObject(v) ? merge(out[k], v) : structuredClone(v);
  }
  return out as T;
}

export type DeepPartial<T> = T extends (infer U)[] ? U[] : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;

/** The example study's raw input with overrides merged in. */
export function studyInput(overrides: DeepPartial<StudyConfigInput> | Record<string, unknown> = {}): StudyConfigInput {
  return merge(exampleInput(), overrides);
}

/** A validated study: the example with overrides. */
export function buildStudy(overrides: DeepPartial<StudyConfigInput> | Record<string, unknown> = {}): StudyConfig {
  return parseStudyConfig(studyInput(overrides), 'test fixture');
}

/** An Elastic fleet with its app block (replaces the example's ALWAYS_ON fleet wholesale). */
export const ELASTIC_FLEET = {
  type: 'ELASTIC',
  instanceType: 'stream.standard.medium',
  platform: 'AMAZON_LINUX2',
  maxConcurrentSessions: 30,
  appBlock: {
    source: { bucket: 'readroom-example-appblocks', key: 'viewer/viewer.vhdx' },
    setupScript: { bucket: 'readroom-example-appblocks', key: 'viewer/setup.sh', executablePath: '/usr/bin/bash', timeoutSeconds: 600 },
  },
  application: {
    name: 'viewer',
    launchPath: '/opt/viewer/bin/viewer',
    icon: { bucket: 'readroom-example-appblocks', key: 'viewer/icon.png' },
  },
} as const;

/** A portal on its own domain (test/fixtures/appstream-embed.js stands for AWS's embed script). */
export const CUSTOM_DOMAIN_PORTAL = {
  domain: {
    name: 'readroom.example.org',
    certificateArn: 'arn:aws:acm:us-east-1:111122223333:certificate/0b3c1a52-6f0e-4d1e-9a55-3c2f1e7d8a90',
    streamingName: 'stream.readroom.example.org',
  },
  embedScript: 'test/fixtures/appstream-embed.js',
} as const;

/** The variants every whole-app check runs over. */
export const VARIANTS = {
  example: (): StudyConfig => buildStudy(),
  elastic: (): StudyConfig => {
    const input = studyInput();
    (input as { fleet: unknown }).fleet = structuredClone(ELASTIC_FLEET);
    return parseStudyConfig(input, 'elastic fixture');
  },
  destroy: (): StudyConfig => buildStudy({ retention: { data: 'destroy' } }),
  /** The portal on its own domain, with AppStream's custom streaming domain and an embed script. */
  customDomain: (): StudyConfig => buildStudy({ portal: CUSTOM_DOMAIN_PORTAL }),
} as const;
export type VariantName = keyof typeof VARIANTS;
