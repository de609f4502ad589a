/**
 * Runs the gate over every file of every case, before any upload. A case with any finding is
 * refused whole: nothing of it is uploaded.
 */
import * as path from 'node:path';
import type { Exam, Eye } from '../../domain/case';
import { PER_EYE_EXAMS, gateDicomFile, type Finding } from '../dicom/gate';
import { VENDOR_FORMATS, fileKind, imageMetadata, type FileKind } from './files';
import { objectKeys, scanFolder, type CaseFolder } from './layout';

export interface CheckOptions {
  /** Accept PNG and JPEG files (only without metadata). */
  allowImages?: boolean;
  allowPrivate?: ReadonlySet<number>;
  uidRoots?: readonly string[];
  /** Files gated at once (they are small reads). */
  concurrency?: number;
}

export interface PlannedFile {
  path: string;
  rel: string;
  exam: Exam;
  eye: Eye | null;
  kind: FileKind;
  size: number;
  mtimeMs: number;
  /** Object key relative to `cases/<caseId>/`. */
  key: string;
}

export interface FileFinding extends Finding {
  /** The file (relative to the ingest folder), or the case folder for folder problems. */
  file: string;
}

export interface CasePlan {
  caseId: string;
  site?: string;
  context?: Record<string, string | number | boolean | null>;
  files: PlannedFile[];
  findings: FileFinding[];
}

export async function checkFolder(root: string, opts: CheckOptions = {}): Promise<CasePlan[]> {
  const folders = await scanFolder(root);
  const plans: CasePlan[] = [];
  for (const folder of folders) plans.push(await checkCase(folder, opts));
  return plans;
}

async function checkCase(c: CaseFolder, opts: CheckOptions): Promise<CasePlan> {
  const findings: FileFinding[] = c.problems.map((p) => ({ file: p.rel, rule: p.rule, message: p.message }));
  if (c.files.length === 0 && c.problems.length === 0) findings.push({ file: path.basename(c.dir), rule: 'layout', message: 'the case folder holds no files' });
  const results = await mapLimit(c.files, opts.concurrency ?? 8, async (f) => {
    const kind = await fileKind(f.path);
    const out: FileFinding[] = [];
    let eye: Eye | null = f.eyeFromName ?? null;
    if (f.ambiguousName) out.push({ file: f.rel, rule: 'laterality', message: "the file's name says both OD and OS" });
    if (kind === 'vendor') {
      const fmt = VENDOR_FORMATS[path.extname(f.path).toLowerCase()];
      out.push({ file: f.rel, rule: 'vendor-format', message: `${fmt} is a vendor raw format that holds the name, birth date, sex and ID: export DICOM from the device software instead` });
    } else if (kind === 'unknown') {
      out.push({ file: f.rel, rule: 'not-dicom', message: 'neither DICOM (no DICM prefix) nor PNG or JPEG: only de-identified DICOM (and, with --allow-images, plain PNG/JPEG) is uploaded' });
    } else if (kind === 'png' || kind === 'jpeg') {
      if (!opts.allowImages) {
        out.push({ file: f.rel, rule: 'image-flag', message: `a ${kind.toUpperCase()} file: pass --allow-images to accept images without a DICOM header (they are checked for metadata)` });
      } else {
        for (const m of await imageMetadata(f.path, kind)) out.push({ file: f.rel, rule: 'image-metadata', message: `${m}: strip the image's metadata (e.g. exiftool -all= or a re-export) first` });
        if (PER_EYE_EXAMS.has(f.exam) && !f.eyeFromName) out.push({ file: f.rel, rule: 'laterality', message: `a ${f.exam} image must name its eye in its file or folder name (OD or OS)` });
      }
    } else {
      const r = await gateDicomFile(f.path, { caseId: c.caseId, exam: f.exam, eyeFromName: f.eyeFromName, allowPrivate: opts.allowPrivate, uidRoots: opts.uidRoots });
      out.push(...r.findings.map((x) => ({ ...x, file: f.rel })));
      eye = r.eye;
    }
    return { f, kind, eye, findings: out };
  });
  for (const r of results) findings.push(...r.findings);
  const ext = (k: FileKind) => (k === 'png' ? '.png' : k === 'jpeg' ? '.jpg' : '.dcm');
  const keys = objectKeys(results.map((r) => ({ exam: r.f.exam, eye: r.eye, ext: ext(r.kind), rel: r.f.rel })));
  return {
    caseId: c.caseId,
    site: c.site,
    context: c.context,
    files: results.map((r, i) => ({ path: r.f.path, rel: r.f.rel, exam: r.f.exam, eye: r.eye, kind: r.kind, size: r.f.size, mtimeMs: r.f.mtimeMs, key: keys[i] })),
    findings,
  };
}

/** Runs `fn` over `items` with at most `limit` at once, keeping the order of results. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
