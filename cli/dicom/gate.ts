/**
 * The de-identification gate for one DICOM header. It refuses what it cannot show to be
 * de-identified; every finding names the attribute (tag and keyword), the rule and what to do.
 *
 * Rules, in order of the table's actions (PS3.15 Annex E, Table E.1-1, see profile.ts):
 * - an attribute whose basic action removes, empties or replaces it (X, Z, D and their choices)
 *   must be absent or empty, at any depth. Kept are: the patient characteristics the Retain Patient
 *   Characteristics option keeps (age, sex, size, weight …); dates and times the Retain
 *   Longitudinal Temporal Information with Modified Dates option cleans, only when the file
 *   declares them modified (0028,0303 = MODIFIED); Patient ID and Patient's Name only when empty
 *   or the case's own pseudonym;
 * - a UID the profile replaces (U) must lie under a root of de-identified UIDs (2.25 by default,
 *   the UUID-derived root `--deidentify` writes); sequences marked U* (Referenced/Source Image) are
 *   read item by item;
 * - private attributes (odd groups) only when allow-listed;
 * - Burned In Annotation (0028,0301) must be present and NO; laterality (Image Laterality or
 *   Laterality) must name one eye for fundus and OCT files, and agree with the file's name;
 * - only ophthalmic SOP classes are accepted;
 * - beyond the table (whose copy may predate the newest edition): any other date or date-time
 *   (VR DA, DT) follows the dates rule and any other person name (VR PN) must be empty or the pseudonym.
 */
import type { Exam, Eye } from '../../domain/case';
import { describe, profileRow, type ProfileRow } from './profile';
import { DicomParseError, find, holdsValue, isPrivate, readDicomFile, textValue, type DicomElement, type DicomHeader } from './reader';
import { KEYWORDS, OPHTHALMIC_SOP_CLASSES, T, formatTag } from './tags';

export type GateRule =
  | 'annex-e'
  | 'patient-id'
  | 'uid-root'
  | 'dates-modified'
  | 'person-name'
  | 'private-tag'
  | 'burned-in-annotation'
  | 'laterality'
  | 'laterality-mismatch'
  | 'sop-class'
  | 'not-dicom'
  | 'transfer-syntax'
  | 'malformed'
  // Whole-file and folder rules (cli/ingest): named here so every report line has one vocabulary.
  | 'vendor-format'
  | 'image-flag'
  | 'image-metadata'
  | 'layout'
  | 'case-id'
  | 'exam'
  | 'case-json';

export interface Finding {
  /** `(0010,0010)`; absent for whole-file rules. */
  tag?: string;
  keyword?: string;
  rule: GateRule;
  /** Where in the data set: `(0008,1140)[0] > (0008,1155)`. */
  path?: string;
  message: string;
}

export interface GateContext {
  caseId: string;
  exam: Exam;
  /** Laterality the file's name gives (`OD.dcm`, `OS/…`), if any. */
  eyeFromName?: Eye;
  /** Private tags that may stay (gggg,eeee with odd gggg). */
  allowPrivate?: ReadonlySet<number>;
  /** Roots under which replaced UIDs must lie. Default ['2.25.']. */
  uidRoots?: readonly string[];
}

export interface GateResult {
  findings: Finding[];
  eye: Eye | null;
  sopClassUid?: string;
}

/** Exams graded per eye: their files must say which eye they show. */
export const PER_EYE_EXAMS: ReadonlySet<Exam> = new Set(['fundus', 'oct']);

const MODIFIED_DATES_KEEP = 'retainLongitudinalModifiedDates';

export async function gateDicomFile(path: string, ctx: GateContext): Promise<GateResult> {
  let header: DicomHeader;
  try {
    header = await readDicomFile(path);
  } catch (e) {
    if (e instanceof DicomParseError) {
      const rule: GateRule = e.rule === 'not_dicom' ? 'not-dicom' : e.rule === 'transfer_syntax' ? 'transfer-syntax' : 'malformed';
      return { findings: [{ rule, message: e.message }], eye: null };
    }
    throw e;
  }
  return gateHeader(header, ctx);
}

export function gateHeader(h: DicomHeader, ctx: GateContext): GateResult {
  const findings: Finding[] = [];
  const uidRoots = ctx.uidRoots ?? ['2.25.'];
  const datesModified = textValue(find(h.elements, T.LongitudinalTemporalInformationModified) ?? {}) === 'MODIFIED';
  const keywordOf = (t: number, row?: ProfileRow) => row?.keyword ?? KEYWORDS.get(t) ?? (isPrivate(t) ? 'private' : 'unknown');
  const add = (e: DicomElement, path: string, rule: GateRule, message: string, row?: ProfileRow) =>
    findings.push({ tag: formatTag(e.tag), keyword: keywordOf(e.tag, row), rule, path, message });

  const visit = (elements: DicomElement[], parent: string) => {
    for (const e of elements) {
      const path = parent ? `${parent} > ${formatTag(e.tag)}` : formatTag(e.tag);
      if (isPrivate(e.tag)) {
        if (!ctx.allowPrivate?.has(e.tag)) {
          add(e, path, 'private-tag', `private attribute ${formatTag(e.tag)} (Annex E removes private attributes): remove it, or allow-list it with --allow-private-tag if it is known to be safe`);
          continue;
        }
        if (e.items) e.items.forEach((item, i) => visit(item, `${path}[${i}]`));
        continue;
      }
      const row = profileRow(e.tag);
      if (!row) {
        if (e.items) e.items.forEach((item, i) => visit(item, `${path}[${i}]`));
        else if ((e.vr === 'DA' || e.vr === 'DT') && holdsValue(e) && !datesModified) {
          add(e, path, 'dates-modified', `${describe(e.tag)} is a date, and the file does not declare its dates modified (0028,0303 = MODIFIED): shift or remove the dates`);
        } else if (e.vr === 'PN' && holdsValue(e) && textValue(e) !== ctx.caseId) {
          add(e, path, 'person-name', `${describe(e.tag)} holds a person's name: empty it`);
        }
        continue;
      }
      checkRow(e, row, path);
    }
  };

  const checkRow = (e: DicomElement, row: ProfileRow, path: string) => {
    const what = describe(e.tag, row);
    if (e.tag === T.PatientID || e.tag === T.PatientName) {
      if (holdsValue(e) && textValue(e) !== ctx.caseId) add(e, path, 'patient-id', `${what} must be empty or the case's pseudonym '${ctx.caseId}'`, row);
      return;
    }
    if (row.basic.includes('U*') && e.items) {
      // References to other images: kept, but their UIDs are checked like any other.
      e.items.forEach((item, i) => visit(item, `${path}[${i}]`));
      return;
    }
    if (!holdsValue(e)) return;
    if (row.options.retainPatientCharacteristics === 'K') return;
    if (row.options[MODIFIED_DATES_KEEP] === 'C') {
      if (!datesModified) add(e, path, 'dates-modified', `${what} holds a date or time, and the file does not declare its dates modified (0028,0303 = MODIFIED): shift or remove it`, row);
      return;
    }
    if (row.basic === 'U') {
      const uids = textValue(e).split('\\');
      const bad = uids.find((u) => !uidRoots.some((root) => u.startsWith(root)));
      if (bad !== undefined) add(e, path, 'uid-root', `${what} '${bad}' is not a replaced UID (under ${uidRoots.join(', ')}): replace UIDs consistently (--deidentify does)`, row);
      return;
    }
    const holds = e.items ? `holds ${e.items.length} item(s)` : 'holds a value';
    add(e, path, 'annex-e', `${what}: Table E.1-1 basic action ${row.basic} (remove or empty), but it ${holds}`, row);
  };

  visit(h.meta, '');
  visit(h.elements, '');
  visit(h.trailing, '');

  const top = (t: number) => find(h.elements, t);
  const sopClassUid = textValue(top(T.SOPClassUID) ?? {});
  if (!OPHTHALMIC_SOP_CLASSES.has(sopClassUid)) {
    findings.push({ tag: formatTag(T.SOPClassUID), keyword: 'SOPClassUID', rule: 'sop-class', message: `SOP class '${sopClassUid || 'none'}' is not an ophthalmic image or measurement class ReadRoom accepts (photography, tomography, thickness maps, VA, refraction, visual fields)` });
  }
  const burnedIn = textValue(top(T.BurnedInAnnotation) ?? {});
  if (burnedIn !== 'NO') {
    findings.push({
      tag: formatTag(T.BurnedInAnnotation),
      keyword: 'BurnedInAnnotation',
      rule: 'burned-in-annotation',
      message: burnedIn ? `Burned In Annotation is '${burnedIn}': text in the pixels may identify the person; export without annotations` : 'Burned In Annotation (0028,0301) is absent: the file must declare NO',
    });
  }
  const headerEye = eyeOf(textValue(top(T.ImageLaterality) ?? {})) ?? eyeOf(textValue(top(T.Laterality) ?? {}));
  if (PER_EYE_EXAMS.has(ctx.exam) && !headerEye) {
    findings.push({ tag: formatTag(T.ImageLaterality), keyword: 'ImageLaterality', rule: 'laterality', message: `a ${ctx.exam} file must name its eye: Image Laterality (0020,0062) or Laterality (0020,0060) R or L` });
  }
  if (headerEye && ctx.eyeFromName && headerEye !== ctx.eyeFromName) {
    findings.push({ tag: formatTag(T.ImageLaterality), keyword: 'ImageLaterality', rule: 'laterality-mismatch', message: `the header says ${headerEye}, the file's name says ${ctx.eyeFromName}` });
  }
  return { findings, eye: headerEye ?? ctx.eyeFromName ?? null, sopClassUid: sopClassUid || undefined };
}

const eyeOf = (v: string): Eye | undefined => (v === 'R' ? 'OD' : v === 'L' ? 'OS' : undefined);
