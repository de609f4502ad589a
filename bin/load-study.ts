import { readFileSync, existsSync } from 'node:fs';
import * as path from 'node:path';
import { StudyConfig, parseStudyConfig } from '../lib/config/schema';

/** Folder of the study files (`studies/<id>.json`). */
export const STUDIES_DIR = path.join(__dirname, '..', 'studies');

/** Reads and validates `studies/<id>.json`; every problem names the file and the field. */
export function loadStudy(id: string, dir = STUDIES_DIR): StudyConfig {
  if (!/^[a-z][a-z0-9-]*$/.test(id)) throw new Error(`Study id '${id}' must be lowercase letters, digits and dashes (the file studies/<id>.json).`);
  const file = path.join(dir, `${id}.json`);
  if (!existsSync(file)) throw new Error(`No study file ${path.relative(process.cwd(), file)}. Copy studies/example.json to start one.`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${path.relative(process.cwd(), file)} is not valid JSON: ${(e as Error).message}`);
  }
  const { $schema: _ignored, ...body } = raw as Record<string, unknown>;
  const study = parseStudyConfig(body, path.relative(process.cwd(), file));
  if (study.studyId !== id) throw new Error(`${file}: studyId '${study.studyId}' must match the file name '${id}'`);
  return study;
}
