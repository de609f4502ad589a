/**
 * `--deidentify <out>`: a de-identified copy of every DICOM file, made by the table the gate reads
 * (profile.ts), then verified by the same gate and by an independent reader (dcmtk's dcmdump)
 * before anything can be uploaded. Per PS3.15 Annex E, Basic Profile with the Retain Patient
 * Characteristics and Retain Longitudinal Temporal Information with Modified Dates options:
 * - removed (X) or emptied (Z, D) as the table says, at any depth; private attributes removed
 *   unless allow-listed; Patient ID and Patient's Name become the case's pseudonym;
 * - age, sex, size, weight kept; laterality, pixel spacing and every attribute the table does not
 *   name kept (they are what graders need);
 * - dates shifted by a whole number of weeks per person (the weekday survives), the same shift
 *   for every file of the case; times kept;
 * - UIDs replaced consistently within the study by 2.25 UIDs derived from a secret;
 * - Patient Identity Removed YES, De-identification Method, Longitudinal Temporal Information
 *   Modified MODIFIED set.
 * The UID map, the date shifts and the secret go into a key file that never leaves this machine.
 * Pixels are copied byte for byte: a file whose Burned In Annotation is not NO is refused, since
 * text in the pixels cannot be cleaned here.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import * as path from 'node:path';
import { CASE_FILE, scanFolder } from '../ingest/layout';
import { fileKind } from '../ingest/files';
import { gateHeader } from './gate';
import { PROFILE_SOURCE, profileRow } from './profile';
import { find, isPrivate, readDicomFile, textValue, type DicomElement } from './reader';
import { T, groupOf } from './tags';
import { encodeDataset, encodePreambleAndMeta, type WriteElement } from './writer';

export interface DeidKey {
  study: string;
  /** Hex secret the UIDs are derived from. */
  secret: string;
  createdAt: string;
  /** Days each case's dates move (negative, whole weeks). */
  dateShiftDays: Record<string, number>;
  /** Original UID → replacement. */
  uids: Record<string, string>;
}

export interface DeidOptions {
  input: string;
  output: string;
  keyFile: string;
  study: string;
  uidRoots?: readonly string[];
  allowPrivate?: ReadonlySet<number>;
  /** dcmdump's path (tests may point elsewhere). Default 'dcmdump'. */
  dcmdump?: string;
}

export interface DeidResult {
  written: number;
  failures: Array<{ file: string; message: string }>;
}

export const DEID_METHOD = `readroom --deidentify: PS3.15 Annex E Basic Profile, Retain Patient Characteristics, Retain Longitudinal Temporal Information Modified Dates (table copied ${PROFILE_SOURCE.copied})`;

export async function loadKey(file: string, study: string): Promise<DeidKey> {
  try {
    const key = JSON.parse(await readFile(file, 'utf8')) as DeidKey;
    if (key.study !== study) throw new Error(`${file} is the key of study '${key.study}', not '${study}'`);
    return key;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    return { study, secret: randomBytes(32).toString('hex'), createdAt: new Date().toISOString(), dateShiftDays: {}, uids: {} };
  }
}

export class Deidentifier {
  constructor(
    readonly key: DeidKey,
    private readonly allowPrivate: ReadonlySet<number> = new Set(),
  ) {}

  uid(original: string): string {
    const known = this.key.uids[original];
    if (known) return known;
    const digest = createHmac('sha256', Buffer.from(this.key.secret, 'hex')).update(original).digest('hex').slice(0, 32);
    const replacement = `2.25.${BigInt(`0x${digest}`).toString(10)}`;
    this.key.uids[original] = replacement;
    return replacement;
  }

  shiftDays(caseId: string): number {
    if (this.key.dateShiftDays[caseId] === undefined) this.key.dateShiftDays[caseId] = -7 * (1 + (randomBytes(1)[0] % 52));
    return this.key.dateShiftDays[caseId];
  }

  /** The de-identified data set of one case's file. */
  transform(elements: DicomElement[], caseId: string, top: boolean): WriteElement[] {
    const out: WriteElement[] = [];
    const days = this.shiftDays(caseId);
    for (const e of elements) {
      if (isPrivate(e.tag)) {
        if (this.allowPrivate.has(e.tag)) out.push(copy(e, (items) => items.map((i) => this.transform(i, caseId, false))));
        continue;
      }
      if (e.tag === T.PatientID || e.tag === T.PatientName) {
        out.push({ tag: e.tag, vr: e.vr, value: caseId });
        continue;
      }
      const row = profileRow(e.tag);
      const recurse = (items: DicomElement[][]) => items.map((i) => this.transform(i, caseId, false));
      if (!row) {
        if (e.items) out.push(copy(e, recurse));
        else if ((e.vr === 'DA' || e.vr === 'DT') && e.value) out.push({ tag: e.tag, vr: e.vr, value: shiftDates(textValue(e), days) });
        else if (e.vr === 'PN') out.push({ tag: e.tag, vr: e.vr, value: '' });
        else out.push(copy(e, recurse));
        continue;
      }
      if (row.options.retainPatientCharacteristics === 'K') {
        out.push(copy(e, recurse));
      } else if (row.options.retainLongitudinalModifiedDates === 'C') {
        if (e.vr === 'DA' || e.vr === 'DT' || (e.vr === '' && /^\d{8}/.test(textValue(e)))) out.push({ tag: e.tag, vr: e.vr, value: shiftDates(textValue(e), days) });
        else if (e.vr === 'TM') out.push(copy(e, recurse));
        // other cleaned temporal attributes (a time zone offset) are removed
      } else if (row.basic === 'U') {
        if (e.value) out.push({ tag: e.tag, vr: e.vr, value: textValue(e).split('\\').map((u) => this.uid(u)) });
        else out.push(copy(e, recurse));
      } else if (row.basic.includes('U*') && e.items) {
        out.push(copy(e, recurse));
      } else if (row.basic.split('/').includes('X')) {
        // removed
      } else {
        out.push(e.items ? { tag: e.tag, vr: 'SQ', items: [] } : { tag: e.tag, vr: e.vr, value: '' });
      }
    }
    if (top) {
      const set = (tag: number, vr: string, value: string) => {
        const i = out.findIndex((x) => x.tag === tag);
        if (i >= 0) out.splice(i, 1);
        out.push({ tag, vr, value });
      };
      set(T.PatientIdentityRemoved, 'CS', 'YES');
      set(T.DeidentificationMethod, 'LO', DEID_METHOD.slice(0, 64));
      set(T.LongitudinalTemporalInformationModified, 'CS', 'MODIFIED');
      if (!out.some((x) => x.tag === T.PatientID)) out.push({ tag: T.PatientID, vr: 'LO', value: caseId });
      if (!out.some((x) => x.tag === T.PatientName)) out.push({ tag: T.PatientName, vr: 'PN', value: caseId });
    }
    return out;
  }
}

function copy(e: DicomElement, recurse: (items: DicomElement[][]) => WriteElement[][]): WriteElement {
  if (e.items) return { tag: e.tag, vr: 'SQ', items: recurse(e.items) };
  if (e.skipped) throw new Error(`${e.tag.toString(16)}: a value of ${e.length} bytes is too large to copy`);
  return { tag: e.tag, vr: e.vr, value: e.value ?? Buffer.alloc(0) };
}

/** Moves every date in a DA/DT value (lists, ranges, date-times) by `days`. */
export function shiftDates(value: string, days: number): string {
  return value.replace(/\b(\d{4})(\d{2})(\d{2})/g, (m, y, mo, d) => {
    const t = Date.UTC(Number(y), Number(mo) - 1, Number(d));
    if (Number.isNaN(t)) return m;
    const s = new Date(t + days * 86_400_000);
    return `${s.getUTCFullYear().toString().padStart(4, '0')}${String(s.getUTCMonth() + 1).padStart(2, '0')}${String(s.getUTCDate()).padStart(2, '0')}`;
  });
}

/** Writes the de-identified copy of `input` to `output`; the pixels are streamed from the source. */
export async function deidentifyFile(d: Deidentifier, input: string, output: string, caseId: string): Promise<void> {
  const h = await readDicomFile(input, { maxValueBytes: 64 * 1024 * 1024 });
  if (textValue(find(h.elements, T.BurnedInAnnotation) ?? {}) !== 'NO') {
    throw new Error('Burned In Annotation is not NO: text in the pixels cannot be removed here; export from the device without annotations');
  }
  const sopClassUid = textValue(find(h.elements, T.SOPClassUID) ?? {});
  const sopInstanceUid = d.uid(textValue(find(h.elements, T.SOPInstanceUID) ?? {}) || textValue(find(h.meta, T.MediaStorageSOPInstanceUID) ?? {}));
  const dataset = d.transform(
    h.elements.filter((e) => groupOf(e.tag) !== 0x0002),
    caseId,
    true,
  );
  const i = dataset.findIndex((e) => e.tag === T.SOPInstanceUID);
  if (i >= 0) dataset[i] = { tag: T.SOPInstanceUID, vr: dataset[i].vr, value: sopInstanceUid };
  await mkdir(path.dirname(output), { recursive: true });
  const out = createWriteStream(output);
  out.write(encodePreambleAndMeta({ sopClassUid, sopInstanceUid, transferSyntax: h.transferSyntax }));
  out.write(encodeDataset(dataset, h.explicit));
  if (h.pixelData) {
    // Byte for byte, the element's header included; nothing after the pixels is copied.
    const src = createReadStream(input, { start: h.pixelData.offset, end: h.pixelData.end - 1, highWaterMark: 1024 * 1024 });
    for await (const chunk of src) if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

/** dcmdump's reading of a file: problems it shows (it could not parse it, a private tag, a name that is not the pseudonym). */
export function dcmdumpProblems(file: string, caseId: string, dcmdump = 'dcmdump', allowPrivate: ReadonlySet<number> = new Set()): string[] {
  const r = spawnSync(dcmdump, ['-q', '-M', file], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error) return [`dcmdump (Debian package dcmtk) could not run: ${r.error.message}; install it with: apt-get install -y --no-install-recommends dcmtk`];
  if (r.status !== 0) return [`dcmdump could not read the copy (exit ${r.status}): ${r.stderr.trim().split('\n')[0] ?? ''}`];
  const problems: string[] = [];
  for (const line of r.stdout.split('\n')) {
    const m = /^\s*\(([0-9a-f]{4}),([0-9a-f]{4})\)\s+(\w\w)\s+(.*)$/.exec(line);
    if (!m) continue;
    const tag = ((parseInt(m[1], 16) << 16) | parseInt(m[2], 16)) >>> 0;
    if (isPrivate(tag) && !allowPrivate.has(tag)) problems.push(`dcmdump shows private attribute (${m[1]},${m[2]})`);
    if ((tag === T.PatientName || tag === T.PatientID) && !m[4].startsWith(`[${caseId}]`)) problems.push(`dcmdump shows (${m[1]},${m[2]}) ${m[4].split('#')[0].trim()}, not the pseudonym`);
  }
  return problems;
}

/** De-identifies a whole ingest folder into `output` (same layout), verifying every copy. */
export async function deidentifyFolder(o: DeidOptions): Promise<DeidResult> {
  const key = await loadKey(o.keyFile, o.study);
  const d = new Deidentifier(key, o.allowPrivate);
  const result: DeidResult = { written: 0, failures: [] };
  try {
    for (const c of await scanFolder(o.input)) {
      const caseOut = path.join(o.output, c.caseId);
      await mkdir(caseOut, { recursive: true });
      if (c.site !== undefined || c.context !== undefined) await copyFile(path.join(c.dir, CASE_FILE), path.join(caseOut, CASE_FILE));
      for (const p of c.problems) result.failures.push({ file: p.rel, message: p.message });
      for (const f of c.files) {
        const out = path.join(o.output, f.rel);
        try {
          if ((await fileKind(f.path)) !== 'dicom') {
            await mkdir(path.dirname(out), { recursive: true });
            await copyFile(f.path, out); // the gate checks it on the way up
            continue;
          }
          await deidentifyFile(d, f.path, out, c.caseId);
          const gate = gateHeader(await readDicomFile(out), { caseId: c.caseId, exam: f.exam, eyeFromName: f.eyeFromName, allowPrivate: o.allowPrivate, uidRoots: o.uidRoots });
          const problems = [...gate.findings.map((x) => `gate: ${[x.tag, x.keyword].filter(Boolean).join(' ')} [${x.rule}] ${x.message}`), ...dcmdumpProblems(out, c.caseId, o.dcmdump, o.allowPrivate)];
          if (problems.length > 0) result.failures.push({ file: f.rel, message: problems.join('; ') });
          else result.written++;
        } catch (e) {
          result.failures.push({ file: f.rel, message: (e as Error).message });
        }
      }
    }
  } finally {
    await mkdir(path.dirname(o.keyFile), { recursive: true });
    await writeFile(o.keyFile, JSON.stringify(key, null, 2) + '\n', { mode: 0o600 });
  }
  return result;
}
