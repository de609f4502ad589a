/**
 * DICOM files and case folders for the CLI tests, built with the project's own writer: clean files
 * that must pass, and files with known identifying values in every place the profile names.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { T } from '../../cli/dicom/tags';
import { encodeOphthalmicHeader, pixelBytes, type OphthalmicImageSpec, type WriteElement } from '../../cli/dicom/writer';

let n = 0;
/** A fresh de-identified-looking UID (2.25 root). */
export const uid = () => `2.25.${Date.now()}${++n}`;

export interface FileOptions {
  kind?: 'OP' | 'OPT';
  laterality?: 'R' | 'L';
  caseId?: string;
  extra?: WriteElement[];
  implicit?: boolean;
  frames?: number;
  rows?: number;
  columns?: number;
  /** Fill byte of the pixels (to tell copies apart). */
  fill?: number;
}

/** A clean OP (default) or OPT file as bytes: passes the gate for its case. */
export function dicomBytes(o: FileOptions = {}): Buffer {
  const spec: OphthalmicImageSpec = {
    kind: o.kind ?? 'OP',
    rows: o.rows ?? 8,
    columns: o.columns ?? 8,
    frames: o.frames ?? (o.kind === 'OPT' ? 2 : 1),
    laterality: o.laterality ?? 'R',
    sopInstanceUid: uid(),
    studyInstanceUid: uid(),
    seriesInstanceUid: uid(),
    patientId: o.caseId ?? 'K-001',
    extra: o.extra,
    implicit: o.implicit,
  };
  return Buffer.concat([encodeOphthalmicHeader(spec), Buffer.alloc(pixelBytes(spec), o.fill ?? 7)]);
}

/** Identifying values, each in a place Annex E names. */
export const IDENTIFYING = {
  patientName: { tag: T.PatientName, vr: 'PN', value: 'HONG^GILDONG' },
  patientId: { tag: T.PatientID, vr: 'LO', value: '19570312-1234567' },
  birthDate: { tag: T.PatientBirthDate, vr: 'DA', value: '19570312' },
  institution: { tag: T.InstitutionName, vr: 'LO', value: 'Seoul Eye Hospital' },
  operators: { tag: T.OperatorsName, vr: 'PN', value: 'KIM^TECH' },
  serial: { tag: T.DeviceSerialNumber, vr: 'LO', value: 'SN-4711' },
  comments: { tag: T.ImageComments, vr: 'LT', value: 'pt called back 010-1234-5678' },
  studyDate: { tag: T.StudyDate, vr: 'DA', value: '20240611' },
  accession: { tag: T.AccessionNumber, vr: 'SH', value: 'A123456' },
  studyDescription: { tag: T.StudyDescription, vr: 'LO', value: 'Fundus both eyes Hong' },
} satisfies Record<string, WriteElement>;

/** A temporary folder removed by `cleanup`. */
export function tempDir(prefix = 'readroom-cli-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes `files` (relative path → bytes) under `root`. */
export function writeTree(root: string, files: Record<string, Buffer | string>) {
  for (const [rel, body] of Object.entries(files)) {
    const p = path.join(root, rel);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, body);
  }
}

/** A PNG of 1×1 grey pixel, with optional extra chunks (e.g. tEXt) before IDAT. */
export function png(extraChunks: Array<[string, Buffer]> = []): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    return Buffer.concat([len, Buffer.from(type, 'latin1'), data, Buffer.alloc(4)]); // CRC not checked by the gate
  };
  const ihdr = Buffer.from([0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0]);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    ...extraChunks.map(([t, d]) => chunk(t, d)),
    chunk('IDAT', Buffer.from([0x78, 0x9c, 0x63, 0x60, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01])),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A JPEG header: SOI, optional segments (marker, payload), then SOS and EOI. */
export function jpeg(segments: Array<[number, Buffer]> = []): Buffer {
  const seg = (marker: number, data: Buffer) => {
    const h = Buffer.from([0xff, marker, 0, 0]);
    h.writeUInt16BE(data.length + 2, 2);
    return Buffer.concat([h, data]);
  };
  return Buffer.concat([
    Buffer.from([0xff, 0xd8]),
    seg(0xe0, Buffer.from('JFIF\0\x01\x01\0\0\x01\0\x01\0\0', 'latin1')),
    ...segments.map(([m, d]) => seg(m, d)),
    seg(0xda, Buffer.from([1, 1, 0, 0, 63, 0])),
    Buffer.from([0x12, 0x34, 0xff, 0xd9]),
  ]);
}
