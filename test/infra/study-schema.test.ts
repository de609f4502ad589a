/**
 * studies/study.schema.json (editor completion for study files) is generated from the zod schema by
 * `npm run schema` and committed; this fails while the committed file is out of date.
 */
import { readFileSync } from 'node:fs';
import { SCHEMA_FILE, studyJsonSchema } from '../../bin/write-schema';
import { exampleInput } from '../helpers/studies';

const committed = () => readFileSync(SCHEMA_FILE, 'utf8');

test('the committed JSON Schema is up to date (run `npm run schema` if this fails)', () => {
  const fresh = studyJsonSchema();
  if (committed() !== fresh) {
    throw new Error('studies/study.schema.json is out of date with lib/config/schema.ts. Run `npm run schema` and commit the result.');
  }
});

test('documents the input side: defaults are optional and shown', () => {
  const schema = JSON.parse(committed());
  expect(schema.required).toEqual(expect.arrayContaining(['studyId', 'displayName', 'tags', 'network', 'fleet', 'budget']));
  expect(schema.required).not.toContain('retention');
  // Every portal field is optional: without a domain the portal is served on CloudFront's name.
  expect(schema.required).not.toContain('portal');
  expect(schema.properties.portal.properties.domain.required).toEqual(['name', 'certificateArn']);
  expect(schema.properties.streamingUrlValiditySeconds).toMatchObject({ default: 60, minimum: 1, maximum: 300 });
  expect(schema.properties.retention.properties.data).toMatchObject({ default: 'retain', enum: ['retain', 'destroy'] });
  expect(schema.additionalProperties).toBe(false);
});

test('lets a study file name its schema and covers every top-level field of the example', () => {
  const schema = JSON.parse(committed());
  expect(Object.keys(schema.properties)).toContain('$schema');
  const example = JSON.parse(readFileSync(require.resolve('../../studies/example.json'), 'utf8'));
  expect(example.$schema).toBe('./study.schema.json');
  for (const key of Object.keys(exampleInput())) expect(schema.properties).toHaveProperty([key]);
});
