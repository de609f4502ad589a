/**
 * A minimal DICOM Part 10 writer for the viewer's tests, so they have DICOM input before the
 * project's own writer (`cli/dicom/`, being built on another branch) lands; replace the calls with
 * that writer then. It writes what a modality would: file meta, some identifying attributes (so a
 * test can check the viewer never shows them), a nested sequence of undefined length (so a parser
 * must skip it properly), image geometry, and native or encapsulated pixel data.
 */

export interface DicomFileOptions {
  rows: number;
  columns: number;
  /** Native: all frames' pixels back to back (8-bit, or 16-bit little endian in a Uint16Array). */
  pixels?: Uint8Array | Uint16Array;
  /** Encapsulated JPEG baseline: one JPEG stream per frame. */
  jpegFrames?: Uint8Array[];
  frames?: number;
  samplesPerPixel?: 1 | 3;
  photometric?: string;
  bitsStored?: number;
  windowCenter?: number;
  windowWidth?: number;
  rescaleIntercept?: number;
  /** @default false: explicit VR little endian */
  implicit?: boolean;
  /** Written as (0010,0010); the viewer must never show it. */
  patientName?: string;
  /** Left off the Basic Offset Table (allowed: it may be empty). @default false */
  emptyOffsetTable?: boolean;
}

const IMPLICIT = '1.2.840.10008.1.2';
const EXPLICIT = '1.2.840.10008.1.2.1';
const JPEG_BASELINE = '1.2.840.10008.1.2.4.50';

class Writer {
  private readonly parts: Buffer[] = [];
  constructor(private readonly explicit: boolean) {}

  element(group: number, element: number, vr: string, value: Buffer): this {
    const padded = value.length % 2 ? Buffer.concat([value, Buffer.from(vr === 'UI' || vr === 'OB' ? [0] : [0x20])]) : value;
    const head = Buffer.alloc(this.explicit ? (['OB', 'OW', 'SQ', 'UN', 'UT'].includes(vr) ? 12 : 8) : 8);
    head.writeUInt16LE(group, 0);
    head.writeUInt16LE(element, 2);
    if (!this.explicit) head.writeUInt32LE(padded.length, 4);
    else if (head.length === 12) {
      head.write(vr, 4, 'latin1');
      head.writeUInt32LE(padded.length, 8);
    } else {
      head.write(vr, 4, 'latin1');
      head.writeUInt16LE(padded.length, 6);
    }
    this.parts.push(head, padded);
    return this;
  }

  str(group: number, element: number, vr: string, value: string): this {
    return this.element(group, element, vr, Buffer.from(value, 'latin1'));
  }

  us(group: number, element: number, value: number): this {
    const b = Buffer.alloc(2);
    b.writeUInt16LE(value);
    return this.element(group, element, 'US', b);
  }

  raw(b: Buffer): this {
    this.parts.push(b);
    return this;
  }

  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
}

function tagHeader(group: number, element: number, length: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt16LE(group, 0);
  b.writeUInt16LE(element, 2);
  b.writeUInt32LE(length >>> 0, 4);
  return b;
}

export function dicomFile(o: DicomFileOptions): Buffer {
  const ts = o.jpegFrames ? JPEG_BASELINE : o.implicit ? IMPLICIT : EXPLICIT;
  const meta = new Writer(true).str(0x0002, 0x0001, 'OB', '\0\x01').str(0x0002, 0x0002, 'UI', '1.2.840.10008.5.1.4.1.1.77.1.5.1').str(0x0002, 0x0003, 'UI', '1.2.3.4.5.6.7').str(0x0002, 0x0010, 'UI', ts).bytes();
  const group = Buffer.alloc(4);
  group.writeUInt32LE(meta.length);
  const w = new Writer(ts !== IMPLICIT)
    .str(0x0008, 0x0060, 'CS', 'OP')
    .str(0x0010, 0x0010, 'PN', o.patientName ?? 'DOE^JANE')
    .str(0x0010, 0x0020, 'LO', 'PAT-12345');
  // A sequence and an item, both of undefined length, with a nested element: a reader must skip it.
  const nested = new Writer(ts !== IMPLICIT).str(0x0008, 0x0100, 'SH', 'X-HIDDEN').bytes();
  if (ts === IMPLICIT) w.raw(tagHeader(0x0008, 0x1110, 0xffffffff));
  else w.raw(Buffer.from([0x08, 0x00, 0x10, 0x11, 0x53, 0x51, 0, 0, 0xff, 0xff, 0xff, 0xff]));
  w.raw(tagHeader(0xfffe, 0xe000, 0xffffffff)).raw(nested).raw(tagHeader(0xfffe, 0xe00d, 0)).raw(tagHeader(0xfffe, 0xe0dd, 0));

  const spp = o.samplesPerPixel ?? 1;
  const frames = o.frames ?? o.jpegFrames?.length ?? 1;
  const bits = o.pixels instanceof Uint16Array ? 16 : 8;
  w.us(0x0028, 0x0002, spp).str(0x0028, 0x0004, 'CS', o.photometric ?? (spp === 3 ? 'RGB' : 'MONOCHROME2'));
  if (spp === 3) w.us(0x0028, 0x0006, 0);
  if (frames > 1) w.str(0x0028, 0x0008, 'IS', String(frames));
  w.us(0x0028, 0x0010, o.rows).us(0x0028, 0x0011, o.columns).us(0x0028, 0x0100, bits).us(0x0028, 0x0101, o.bitsStored ?? bits).us(0x0028, 0x0102, (o.bitsStored ?? bits) - 1).us(0x0028, 0x0103, 0);
  if (o.windowCenter !== undefined) w.str(0x0028, 0x1050, 'DS', `${o.windowCenter}\\${o.windowCenter + 1}`);
  if (o.windowWidth !== undefined) w.str(0x0028, 0x1051, 'DS', `${o.windowWidth}\\${o.windowWidth + 1}`);
  if (o.rescaleIntercept !== undefined) w.str(0x0028, 0x1052, 'DS', String(o.rescaleIntercept)).str(0x0028, 0x1053, 'DS', '1');

  if (o.jpegFrames) {
    w.raw(Buffer.from([0xe0, 0x7f, 0x10, 0x00, 0x4f, 0x42, 0, 0, 0xff, 0xff, 0xff, 0xff]));
    const offsets: number[] = [];
    let at = 0;
    const items = o.jpegFrames.map((f) => {
      const data = f.length % 2 ? Buffer.concat([Buffer.from(f), Buffer.from([0])]) : Buffer.from(f);
      offsets.push(at);
      at += 8 + data.length;
      return Buffer.concat([tagHeader(0xfffe, 0xe000, data.length), data]);
    });
    const table = o.emptyOffsetTable ? Buffer.alloc(0) : Buffer.concat(offsets.map((x) => { const b = Buffer.alloc(4); b.writeUInt32LE(x); return b; }));
    w.raw(tagHeader(0xfffe, 0xe000, table.length)).raw(table);
    for (const item of items) w.raw(item);
    w.raw(tagHeader(0xfffe, 0xe0dd, 0));
  } else if (o.pixels) {
    const data = Buffer.from(o.pixels.buffer, o.pixels.byteOffset, o.pixels.byteLength);
    w.element(0x7fe0, 0x0010, bits === 16 ? 'OW' : 'OB', data);
  }
  return Buffer.concat([Buffer.alloc(128), Buffer.from('DICM'), new Writer(true).element(0x0002, 0x0000, 'UL', group).bytes(), meta, w.bytes()]);
}
