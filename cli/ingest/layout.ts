/**
 * The folder layout `readroom ingest` reads:
 *
 *   <folder>/
 *     <caseId>/                 the study pseudonym (letters, digits, . _ -), never a name
 *       case.json               optional: { "site": "SNUH", "context": { "ageBand5y": "60-64", "bcvaOD": 0.8 } }
 *       fundus/ OD.dcm …        one folder per exam (fundus, oct, va, iop, refraction, slitlamp, other)
 *       oct/    OS/1.dcm …      files at any depth below it
 *
 * A file's eye comes from its DICOM header and, when a name or folder is a token OD or OS
 * (`OD.dcm`, `OS_macula.dcm`, `OD/…`), from its name too (the two must agree). Files are uploaded
 * under new names (`fundus/OD-1.dcm`): vendor exports often put names or record numbers in file
 * names, and those never leave the machine. Names starting with '.' are skipped.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { CASE_ID, EXAMS, type Exam, type Eye } from '../../domain/case';
import { ManifestSchema } from '../../domain/manifest';

export interface CaseFileEntry {
  /** Absolute path on this machine (never uploaded). */
  path: string;
  /** Path relative to the ingest folder, for reports. */
  rel: string;
  exam: Exam;
  eyeFromName?: Eye;
  /** Set when the name says both OD and OS. */
  ambiguousName?: boolean;
  size: number;
  mtimeMs: number;
}

export interface CaseFolder {
  caseId: string;
  dir: string;
  files: CaseFileEntry[];
  site?: string;
  context?: Record<string, string | number | boolean | null>;
  /** Problems with the folder itself (bad names, unknown exam folders, a bad case.json). */
  problems: Array<{ rel: string; rule: 'layout' | 'case-id' | 'exam' | 'case-json'; message: string }>;
}

export const CASE_FILE = 'case.json';
const CaseJsonSchema = ManifestSchema.pick({ site: true, context: true }).strict();

export async function scanFolder(root: string): Promise<CaseFolder[]> {
  const entries = (await readdir(root, { withFileTypes: true })).filter((d) => !d.name.startsWith('.')).sort((a, b) => a.name.localeCompare(b.name));
  const cases: CaseFolder[] = [];
  for (const d of entries) {
    const dir = path.join(root, d.name);
    if (!d.isDirectory()) {
      cases.push({ caseId: d.name, dir, files: [], problems: [{ rel: d.name, rule: 'layout', message: 'a file at the top level: put each case in a folder named by its pseudonym' }] });
      continue;
    }
    cases.push(await scanCase(root, dir, d.name));
  }
  return cases;
}

async function scanCase(root: string, dir: string, caseId: string): Promise<CaseFolder> {
  const c: CaseFolder = { caseId, dir, files: [], problems: [] };
  if (!CASE_ID.test(caseId)) c.problems.push({ rel: caseId, rule: 'case-id', message: `the case folder name must be the study pseudonym (${CASE_ID})` });
  for (const d of (await readdir(dir, { withFileTypes: true })).filter((x) => !x.name.startsWith('.')).sort((a, b) => a.name.localeCompare(b.name))) {
    const rel = path.relative(root, path.join(dir, d.name));
    if (!d.isDirectory()) {
      if (d.name === CASE_FILE) await readCaseJson(path.join(dir, d.name), rel, c);
      else c.problems.push({ rel, rule: 'layout', message: `a file directly in the case folder: put it in an exam folder (${EXAMS.join(', ')})` });
      continue;
    }
    if (!(EXAMS as readonly string[]).includes(d.name)) {
      c.problems.push({ rel, rule: 'exam', message: `'${d.name}' is not an exam folder (${EXAMS.join(', ')})` });
      continue;
    }
    for (const file of await walk(path.join(dir, d.name))) {
      const below = path.relative(path.join(dir, d.name), file);
      const eyes = eyesInName(below);
      const st = await stat(file);
      c.files.push({
        path: file,
        rel: path.relative(root, file),
        exam: d.name as Exam,
        eyeFromName: eyes.length === 1 ? eyes[0] : undefined,
        ambiguousName: eyes.length > 1 || undefined,
        size: st.size,
        mtimeMs: st.mtimeMs,
      });
    }
  }
  return c;
}

async function readCaseJson(file: string, rel: string, c: CaseFolder) {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    c.problems.push({ rel, rule: 'case-json', message: `not valid JSON: ${(e as Error).message}` });
    return;
  }
  const parsed = CaseJsonSchema.safeParse(raw);
  if (!parsed.success) {
    for (const i of parsed.error.issues) c.problems.push({ rel, rule: 'case-json', message: `${i.path.join('.') || 'case.json'}: ${i.message}` });
    return;
  }
  c.site = parsed.data.site;
  c.context = parsed.data.context;
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const d of (await readdir(dir, { withFileTypes: true })).filter((x) => !x.name.startsWith('.')).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = path.join(dir, d.name);
    if (d.isDirectory()) out.push(...(await walk(p)));
    else if (d.isFile()) out.push(p);
  }
  return out;
}

/** OD / OS tokens in a relative path's folders and base name (`OD.dcm`, `OS_macula.dcm`, `OD/1.dcm`). */
export function eyesInName(rel: string): Eye[] {
  const parts = rel.split(path.sep).map((p, i, all) => (i === all.length - 1 ? p.replace(/\.[^.]*$/, '') : p));
  const found = new Set<Eye>();
  for (const p of parts) for (const token of p.split(/[^A-Za-z0-9]+/)) if (token === 'OD' || token === 'OS') found.add(token);
  return [...found].sort();
}

/**
 * The object key of each accepted file, relative to `cases/<caseId>/`: `<exam>/<eye|NA>-<n><ext>`,
 * numbered in the order of the original paths so that a re-run gives the same keys.
 */
export function objectKeys(files: Array<{ exam: Exam; eye: Eye | null; ext: string; rel: string }>): string[] {
  const order = files.map((f, i) => ({ f, i })).sort((a, b) => a.f.rel.localeCompare(b.f.rel));
  const counters = new Map<string, number>();
  const keys: string[] = new Array(files.length);
  for (const { f, i } of order) {
    const base = `${f.exam}/${f.eye ?? 'NA'}`;
    const n = (counters.get(base) ?? 0) + 1;
    counters.set(base, n);
    keys[i] = `${base}-${n}${f.ext}`;
  }
  return keys;
}
