/**
 * A small DICOM Part 10 writer: explicit or implicit VR little endian, sequences of defined or
 * undefined length, private elements. `--deidentify` writes its copies with it, the tests build
 * files with known identifying values with it, and the local reading room's demo seed makes its
 * synthetic fundus (OP) and OCT (OPT) files with {@link writeOphthalmicFile}.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { SOP_CLASS, T, TRANSFER_SYNTAX, LONG_VRS, UNDEFINED_LENGTH } from './tags';

export type WriteValue = string | string[] | number | number[] | Buffer;

export interface WriteElement {
  tag: number;
  /** The VR (written in explicit VR files; also decides how `value` is encoded). */
  vr: string;
  value?: WriteValue;
  /** Items of a sequence (vr 'SQ'). */
  items?: WriteElement[][];
  /** Write this sequence, and its items, with undefined length and delimiters. */
  undefinedLength?: boolean;
}

const TEXT_VRS = new Set(['AE', 'AS', 'CS', 'DA', 'DS', 'DT', 'IS', 'LO', 'LT', 'PN', 'SH', 'ST', 'TM', 'UC', 'UR', 'UT']);

/** The value's bytes, padded to even length as PS3.5 §7.1 asks (UI with NUL, text with space, binary with NUL). */
export function encodeValue(vr: string, value: WriteValue | undefined): Buffer {
  if (value === undefined) return Buffer.alloc(0);
  if (Buffer.isBuffer(value)) return pad(value, 0);
  const list = Array.isArray(value) ? value : [value];
  switch (vr) {
    case 'US':
      return numbers(list, 2, (b, v, o) => b.writeUInt16LE(v, o));
    case 'SS':
      return numbers(list, 2, (b, v, o) => b.writeInt16LE(v, o));
    case 'UL':
      return numbers(list, 4, (b, v, o) => b.writeUInt32LE(v, o));
    case 'SL':
      return numbers(list, 4, (b, v, o) => b.writeInt32LE(v, o));
    case 'FL':
      return numbers(list, 4, (b, v, o) => b.writeFloatLE(v, o));
    case 'FD':
      return numbers(list, 8, (b, v, o) => b.writeDoubleLE(v, o));
    case 'UI':
      return pad(Buffer.from(list.join('\\'), 'latin1'), 0);
    default:
      if (!TEXT_VRS.has(vr) && vr !== '') throw new Error(`cannot encode a ${vr} value from text or numbers; pass a Buffer`);
      return pad(Buffer.from(list.join('\\'), 'utf8'), 0x20);
  }
}

function numbers(list: Array<string | number>, size: number, write: (b: Buffer, v: number, o: number) => void): Buffer {
  const b = Buffer.alloc(list.length * size);
  list.forEach((v, i) => write(b, Number(v), i * size));
  return b;
}

function pad(b: Buffer, byte: number): Buffer {
  return b.length % 2 === 0 ? b : Buffer.concat([b, Buffer.from([byte])]);
}

function header(tag: number, vr: string, length: number, explicit: boolean): Buffer {
  const long = !explicit || LONG_VRS.has(vr);
  const b = Buffer.alloc(explicit ? (long ? 12 : 8) : 8);
  b.writeUInt16LE(tag >>> 16, 0);
  b.writeUInt16LE(tag & 0xffff, 2);
  if (!explicit) {
    b.writeUInt32LE(length, 4);
  } else if (long) {
    b.write(vr, 4, 'latin1');
    b.writeUInt32LE(length, 8);
  } else {
    if (length > 0xffff) throw new Error(`a ${vr} value of ${length} bytes does not fit its 2-byte length`);
    b.write(vr, 4, 'latin1');
    b.writeUInt16LE(length, 6);
  }
  return b;
}

function itemTag(t: number, length: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt16LE(t >>> 16, 0);
  b.writeUInt16LE(t & 0xffff, 2);
  b.writeUInt32LE(length, 4);
  return b;
}

/** Encodes a data set (sorted by tag, as the standard requires). */
export function encodeDataset(elements: WriteElement[], explicit: boolean): Buffer {
  const parts: Buffer[] = [];
  for (const e of [...elements].sort((a, b) => a.tag - b.tag)) {
    if (e.vr === 'SQ' || e.items) {
      const items = (e.items ?? []).map((item) => {
        const body = encodeDataset(item, explicit);
        return e.undefinedLength ? Buffer.concat([itemTag(T.Item, UNDEFINED_LENGTH), body, itemTag(T.ItemDelimitationItem, 0)]) : Buffer.concat([itemTag(T.Item, body.length), body]);
      });
      const body = Buffer.concat(e.undefinedLength ? [...items, itemTag(T.SequenceDelimitationItem, 0)] : items);
      parts.push(header(e.tag, 'SQ', e.undefinedLength ? UNDEFINED_LENGTH : body.length, explicit), body);
    } else {
      const v = encodeValue(e.vr, e.value);
      parts.push(header(e.tag, e.vr, v.length, explicit), v);
    }
  }
  return Buffer.concat(parts);
}

/** ReadRoom's implementation class UID (a 2.25 UUID-derived root) and version name. */
export const IMPLEMENTATION_CLASS_UID = '2.25.158235712834671298117318046541539287297';
export const IMPLEMENTATION_VERSION = 'READROOM_1';

export interface FileMeta {
  sopClassUid: string;
  sopInstanceUid: string;
  transferSyntax?: string;
}

/** Preamble, 'DICM' and the file meta group (always explicit VR little endian). */
export function encodePreambleAndMeta(meta: FileMeta): Buffer {
  const body = encodeDataset(
    [
      { tag: T.FileMetaInformationVersion, vr: 'OB', value: Buffer.from([0, 1]) },
      { tag: T.MediaStorageSOPClassUID, vr: 'UI', value: meta.sopClassUid },
      { tag: T.MediaStorageSOPInstanceUID, vr: 'UI', value: meta.sopInstanceUid },
      { tag: T.TransferSyntaxUID, vr: 'UI', value: meta.transferSyntax ?? TRANSFER_SYNTAX.explicitLittle },
      { tag: T.ImplementationClassUID, vr: 'UI', value: IMPLEMENTATION_CLASS_UID },
      { tag: T.ImplementationVersionName, vr: 'SH', value: IMPLEMENTATION_VERSION },
    ],
    true,
  );
  const groupLength = encodeDataset([{ tag: T.FileMetaInformationGroupLength, vr: 'UL', value: body.length }], true);
  return Buffer.concat([Buffer.alloc(128), Buffer.from('DICM', 'latin1'), groupLength, body]);
}

/** A whole Part 10 file in memory (tests and small files). */
export function encodeFile(meta: FileMeta, elements: WriteElement[]): Buffer {
  const explicit = (meta.transferSyntax ?? TRANSFER_SYNTAX.explicitLittle) !== TRANSFER_SYNTAX.implicitLittle;
  return Buffer.concat([encodePreambleAndMeta(meta), encodeDataset(elements, explicit)]);
}

export interface OphthalmicImageSpec {
  /** 'OP': an ophthalmic photograph (fundus), single frame; 'OPT': an OCT volume, one frame per B-scan. */
  kind: 'OP' | 'OPT';
  rows: number;
  columns: number;
  /** Frames (B-scans); 1 for OP. */
  frames?: number;
  /** 1 (grey) or 3 (RGB, interleaved). Default 1 for OPT, 3 for OP. */
  samplesPerPixel?: 1 | 3;
  /** Right or left eye. */
  laterality: 'R' | 'L';
  sopInstanceUid: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  /** The study pseudonym written as Patient ID and Patient's Name. */
  patientId: string;
  /** More attributes, added or replacing the defaults (e.g. age, sex, pixel spacing, or identifying values for tests). */
  extra?: WriteElement[];
  /** Implicit VR little endian instead of explicit (tests of the reader). */
  implicit?: boolean;
}

/** Bytes of pixel data a spec needs (8 bits per sample). */
export const pixelBytes = (s: OphthalmicImageSpec) => s.rows * s.columns * (s.frames ?? 1) * (s.samplesPerPixel ?? (s.kind === 'OP' ? 3 : 1));

/**
 * The meta group and data set of an OP or OPT image, up to and including the Pixel Data element's
 * header (8-bit samples, native encoding): the pixel bytes follow it.
 */
export function encodeOphthalmicHeader(s: OphthalmicImageSpec): Buffer {
  const samples = s.samplesPerPixel ?? (s.kind === 'OP' ? 3 : 1);
  const sopClassUid = s.kind === 'OP' ? SOP_CLASS.op8 : SOP_CLASS.opt;
  const transferSyntax = s.implicit ? TRANSFER_SYNTAX.implicitLittle : TRANSFER_SYNTAX.explicitLittle;
  const base: WriteElement[] = [
    { tag: T.ImageType, vr: 'CS', value: ['ORIGINAL', 'PRIMARY'] },
    { tag: T.SOPClassUID, vr: 'UI', value: sopClassUid },
    { tag: T.SOPInstanceUID, vr: 'UI', value: s.sopInstanceUid },
    { tag: T.StudyDate, vr: 'DA', value: '' },
    { tag: T.AccessionNumber, vr: 'SH', value: '' },
    { tag: T.Modality, vr: 'CS', value: s.kind },
    { tag: T.Manufacturer, vr: 'LO', value: 'ReadRoom synthetic' },
    { tag: T.ReferringPhysicianName, vr: 'PN', value: '' },
    { tag: T.PatientName, vr: 'PN', value: s.patientId },
    { tag: T.PatientID, vr: 'LO', value: s.patientId },
    { tag: T.PatientBirthDate, vr: 'DA', value: '' },
    { tag: T.PatientSex, vr: 'CS', value: '' },
    { tag: T.StudyInstanceUID, vr: 'UI', value: s.studyInstanceUid },
    { tag: T.SeriesInstanceUID, vr: 'UI', value: s.seriesInstanceUid },
    { tag: T.StudyID, vr: 'SH', value: '' },
    { tag: T.SeriesNumber, vr: 'IS', value: '1' },
    { tag: T.InstanceNumber, vr: 'IS', value: '1' },
    { tag: T.ImageLaterality, vr: 'CS', value: s.laterality },
    { tag: T.SamplesPerPixel, vr: 'US', value: samples },
    { tag: T.PhotometricInterpretation, vr: 'CS', value: samples === 3 ? 'RGB' : 'MONOCHROME2' },
    ...(samples === 3 ? [{ tag: tagPlanarConfiguration, vr: 'US', value: 0 }] : []),
    ...(s.kind === 'OPT' || (s.frames ?? 1) > 1 ? [{ tag: T.NumberOfFrames, vr: 'IS', value: String(s.frames ?? 1) }] : []),
    { tag: T.Rows, vr: 'US', value: s.rows },
    { tag: T.Columns, vr: 'US', value: s.columns },
    { tag: T.BitsAllocated, vr: 'US', value: 8 },
    { tag: T.BitsStored, vr: 'US', value: 8 },
    { tag: T.HighBit, vr: 'US', value: 7 },
    { tag: T.PixelRepresentation, vr: 'US', value: 0 },
    { tag: T.BurnedInAnnotation, vr: 'CS', value: 'NO' },
  ];
  const byTag = new Map(base.map((e) => [e.tag, e]));
  for (const e of s.extra ?? []) byTag.set(e.tag, e);
  const dataset = encodeDataset([...byTag.values()], !s.implicit);
  const bytes = pixelBytes(s);
  if (bytes % 2 !== 0) throw new Error('rows × columns × frames × samples must be even (pixel data has even length)');
  return Buffer.concat([encodePreambleAndMeta({ sopClassUid, sopInstanceUid: s.sopInstanceUid, transferSyntax }), dataset, header(T.PixelData, 'OB', bytes, !s.implicit)]);
}
const tagPlanarConfiguration = 0x00280006;

/**
 * Writes an OP or OPT file to `path`. Pixels come from `pixels` (all at once) or from `frame(i)`
 * (one frame at a time, so a 1 GB volume never sits in memory).
 */
export async function writeOphthalmicFile(path: string, s: OphthalmicImageSpec, pixels: Buffer | ((frame: number) => Buffer)): Promise<number> {
  const out = createWriteStream(path);
  const write = async (b: Buffer) => {
    if (!out.write(b)) await once(out, 'drain');
  };
  const head = encodeOphthalmicHeader(s);
  await write(head);
  if (Buffer.isBuffer(pixels)) {
    if (pixels.length !== pixelBytes(s)) throw new Error(`pixels: ${pixels.length} bytes given, ${pixelBytes(s)} needed`);
    await write(pixels);
  } else {
    for (let i = 0; i < (s.frames ?? 1); i++) await write(pixels(i));
  }
  out.end();
  await once(out, 'finish');
  return head.length + pixelBytes(s);
}
