#!/usr/bin/env node
/**
 * Writes studies/study.schema.json, the JSON Schema of a study file, from the zod schema (zod 4's
 * built-in `z.toJSONSchema`, input side: defaults are optional). Editors use it for completion and
 * inline errors through the file's `"$schema"`. Rules a JSON Schema cannot express (cross-field
 * checks, refinements) are enforced by `cdk synth` only. Run `npm run schema` after changing the
 * schema; a test fails while the committed file is out of date.
 */
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { StudyConfigSchema } from '../lib/config/schema';

export const SCHEMA_FILE = path.join(__dirname, '..', 'studies', 'study.schema.json');

/** The study file's JSON Schema as the text that is committed. */
export function studyJsonSchema(): string {
  const schema = z.toJSONSchema(StudyConfigSchema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as Record<string, unknown>;
  // A study file may name its schema; load-study.ts strips the key before validation.
  const properties = { $schema: { type: 'string', description: 'Path or URL of this JSON Schema (ignored by ReadRoom).' }, ...(schema.properties as object) };
  const document = {
    $schema: schema.$schema,
    $id: 'https://readroom.local/study.schema.json',
    title: 'ReadRoom study',
    description: 'One reading-room study. Generated from lib/config/schema.ts by `npm run schema`; do not edit.',
    ...schema,
    properties,
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}

if (require.main === module) {
  writeFileSync(SCHEMA_FILE, studyJsonSchema());
  console.log(`Wrote ${path.relative(process.cwd(), SCHEMA_FILE)}`);
}
