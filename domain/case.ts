/**
 * What identifies a case and its files, shared by the infrastructure config, the functions, the
 * portal and the CLI. Pure TypeScript: no aws-cdk-lib, no AWS SDK, no `node:` modules.
 */

/** Case ids are opaque study pseudonyms: letters, digits, dot, dash and underscore. */
export const CASE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** The examinations a case's files can hold. */
export const EXAMS = ['fundus', 'oct', 'va', 'iop', 'refraction', 'slitlamp', 'other'] as const;
export type Exam = (typeof EXAMS)[number];

/** Right eye (oculus dexter) and left eye (oculus sinister). */
export const EYES = ['OD', 'OS'] as const;
export type Eye = (typeof EYES)[number];

/** Where a case is in the reading workflow. */
export type CaseState = 'open' | 'adjudication' | 'final';

/** One file of a case, as its manifest lists it (relative to `cases/<caseId>/`). */
export interface CaseFile {
  key: string;
  exam: Exam;
  eye: Eye | null;
  bytes?: number;
}

/** Read-only values shown beside the form (VA, IOP …); no identifiers. */
export type ContextValues = Record<string, string | number | boolean | null>;

/**
 * Context names that hold an identifier, not a measurement (camelCase): `id`, `visitId`, `studyUid`,
 * `mrn`, `accessionNumber`, `participantNo`.
 */
const IDENTIFIER_NAME = /^(?:id|uid|mrn|ssn)$|(?:Id|ID|Uid|UID|Mrn|MRN|Ssn|Number|No)$|^accession/;

/**
 * The context panel as a reader gets it. Measurements (VA, IOP, age band …) go through unchanged:
 * a hidden repeat shows the same values as its original, as it shows the same images, and the
 * grading needs them (ISGEO category 3). What could name the case goes: an entry whose name says it
 * is an identifier, and a text value containing the case id (case-insensitive). The manifest's
 * contract already forbids both (the CLI's de-identification gate); this keeps one slip from
 * linking a repeat to its original. Undefined when nothing is left.
 */
export function readerContext(context: ContextValues | undefined, caseId: string): ContextValues | undefined {
  if (!context) return undefined;
  const id = caseId.toLowerCase();
  const kept = Object.entries(context).filter(([name, v]) => !IDENTIFIER_NAME.test(name) && !(typeof v === 'string' && v.toLowerCase().includes(id)));
  return kept.length > 0 ? Object.fromEntries(kept) : undefined;
}

/** What the form knows about a case before anyone reads it (visibleIf `octPresent`, the eyes asked about). */
export interface CaseFacts {
  /** The case has an OCT (of some eye). */
  octPresent: boolean;
  /**
   * The eyes the OCT files are of, when every OCT file names its eye: per-eye questions see
   * `octPresent` true only for these. Absent (an OCT of unknown laterality, or a case registered
   * before this was recorded): every eye sees `octPresent`.
   */
  octEyes?: Eye[];
  /** Eyes imaged for this case (from DICOM laterality); defaults to the form's eyes. */
  eyes?: Eye[];
}

/** A registered case's facts: `eyes` empty (no file names an eye) means "the form's eyes". */
export function caseFacts(c: { octPresent: boolean; eyes: readonly Eye[]; octEyes?: readonly Eye[] }): CaseFacts {
  return { octPresent: c.octPresent, ...(c.octPresent && c.octEyes ? { octEyes: [...c.octEyes] } : {}), ...(c.eyes.length > 0 ? { eyes: [...c.eyes] } : {}) };
}
