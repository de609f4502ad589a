/**
 * A small DICOM Part 10 reader for the viewer: just what it takes to show ophthalmic photos (OP)
 * and OCT stacks (OPT): image geometry, pixel encoding, window and rescale, and the pixel data,
 * native or encapsulated JPEG baseline (which the browser decodes). Written here rather than
 * taking `dicom-parser` (7.6 KB gzipped) because the viewer needs a tenth of it.
 *
 * Deliberately reads no text attribute (names, dates, ids, descriptions): the viewer must not be
 * able to show anything identifying, whatever a file carries.
 *
 * Supported transfer syntaxes: implicit and explicit VR little endian, and JPEG baseline
 * (1.2.840.10008.1.2.4.50) frames. Anything else is reported as `UnsupportedDicom` with its UID so
 * the message can say what to do.
 */

export const TRANSFER = {
  implicitLittle: '1.2.840.10008.1.2',
  explicitLittle: '1.2.840.10008.1.2.1',
  jpegBaseline: '1.2.840.10008.1.2.4.50',
} as const;

/** The file is DICOM but this reader cannot decode it (compression, bit depth, layout). */
export class UnsupportedDicom extends Error {
  constructor(readonly detail: string) {
    super(detail);
    this.name = 'UnsupportedDicom';
  }
}

/** The file says DICM but its structure is broken (truncated, bad lengths). */
export class InvalidDicom extends Error {
  constructor(detail: string) {
    super(detail);
    this.name = 'InvalidDicom';
  }
}

export interface DicomImage {
  rows: number;
  columns: number;
  frames: number;
  samplesPerPixel: number;
  photometric: string;
  bitsAllocated: number;
  bitsStored: number;
  /** 0 unsigned, 1 two's complement. */
  pixelRepresentation: number;
  planarConfiguration: number;
  rescaleSlope: number;
  rescaleIntercept: number;
  /** First value of Window Center / Width when present. */
  windowCenter?: number;
  windowWidth?: number;
  transferSyntax: string;
  /** Native pixel data (all frames back to back), or undefined when encapsulated. */
  native?: Uint8Array;
  /** Encapsulated: one compressed byte stream per frame. */
  encapsulated?: Uint8Array[];
}

/** DICOM is recognised by content only: 128 bytes of preamble, then "DICM". */
export function isDicom(bytes: Uint8Array): boolean {
  return bytes.length >= 132 && bytes[128] === 0x44 && bytes[129] === 0x49 && bytes[130] === 0x43 && bytes[131] === 0x4d;
}

/** VRs whose explicit-VR header has two reserved bytes and a 32-bit length (PS3.5 7.1.2). */
const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);
const UNDEFINED = 0xffffffff;
const ITEM = 0xfffee000;
const ITEM_END = 0xfffee00d;
const SEQ_END = 0xfffee0dd;
const PIXEL_DATA = 0x7fe00010;

/** The attributes this reader keeps; everything else is skipped unread. */
const WANTED = new Set([0x00020010, 0x00280002, 0x00280004, 0x00280006, 0x00280008, 0x00280010, 0x00280011, 0x00280100, 0x00280101, 0x00280103, 0x00281050, 0x00281051, 0x00281052, 0x00281053]);

export function parseDicom(buffer: ArrayBuffer | Uint8Array): DicomImage {
  const bytes = buffer instanceof Uint8Array ? buffer : new Uint8Array(buffer);
  if (!isDicom(bytes)) throw new InvalidDicom('no DICM marker at offset 128');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const values = new Map<number, Uint8Array>();
  let pixelData: { offset: number; length: number } | undefined;
  let explicit = true; // the file meta group is always explicit VR little endian
  let pos = 132;

  const need = (n: number) => {
    if (pos + n > bytes.length) throw new InvalidDicom(`truncated at byte ${pos}`);
  };
  const text = (v: Uint8Array) => String.fromCharCode(...v).replace(/[\0 ]+$/, '').trim();

  /** Reads one element header; returns tag, VR ('' when implicit) and length. */
  const header = (): { tag: number; vr: string; length: number } => {
    need(8);
    const tag = ((view.getUint16(pos, true) << 16) | view.getUint16(pos + 2, true)) >>> 0;
    pos += 4;
    // Item and delimiter tags never carry a VR, whatever the transfer syntax.
    if (tag === ITEM || tag === ITEM_END || tag === SEQ_END || !explicit) {
      const length = view.getUint32(pos, true);
      pos += 4;
      return { tag, vr: '', length };
    }
    const vr = String.fromCharCode(bytes[pos], bytes[pos + 1]);
    if (LONG_VRS.has(vr)) {
      need(8);
      const length = view.getUint32(pos + 4, true);
      pos += 8;
      return { tag, vr, length };
    }
    const length = view.getUint16(pos + 2, true);
    pos += 4;
    return { tag, vr, length };
  };

  /** Skips an undefined-length sequence or item, recursing into nested ones. */
  const skipUndefined = (until: number): void => {
    for (;;) {
      const h = header();
      if (h.tag === until) return;
      if (h.length === UNDEFINED) skipUndefined(h.tag === ITEM ? ITEM_END : SEQ_END);
      else {
        need(h.length);
        pos += h.length;
      }
    }
  };

  // The file meta group (0002) is always explicit VR little endian; the transfer syntax it names
  // decides how the rest is encoded.
  let switched = false;
  while (pos < bytes.length) {
    need(2);
    if (!switched && view.getUint16(pos, true) !== 0x0002) {
      switched = true;
      explicit = !values.has(0x00020010) || text(values.get(0x00020010)!) !== TRANSFER.implicitLittle;
    }
    const h = header();
    if (h.tag === PIXEL_DATA) {
      if (h.length === UNDEFINED) {
        pixelData = { offset: pos, length: -1 };
      } else {
        need(h.length);
        pixelData = { offset: pos, length: h.length };
      }
      break;
    }
    if (h.length === UNDEFINED) {
      skipUndefined(h.tag === ITEM ? ITEM_END : SEQ_END);
      continue;
    }
    need(h.length);
    if (WANTED.has(h.tag)) values.set(h.tag, bytes.subarray(pos, pos + h.length));
    pos += h.length;
  }

  const ts = values.has(0x00020010) ? text(values.get(0x00020010)!) : TRANSFER.implicitLittle;
  const us = (tag: number, fallback?: number): number => {
    const v = values.get(tag);
    if (!v || v.length < 2) {
      if (fallback === undefined) throw new InvalidDicom(`missing attribute (${hex(tag)})`);
      return fallback;
    }
    return v[0] | (v[1] << 8);
  };
  const num = (tag: number): number | undefined => {
    const v = values.get(tag);
    if (!v) return undefined;
    const n = Number(text(v).split('\\')[0]);
    return Number.isFinite(n) ? n : undefined;
  };

  const image: DicomImage = {
    rows: us(0x00280010),
    columns: us(0x00280011),
    frames: Math.max(1, Math.trunc(num(0x00280008) ?? 1)),
    samplesPerPixel: us(0x00280002, 1),
    photometric: values.has(0x00280004) ? text(values.get(0x00280004)!) : 'MONOCHROME2',
    bitsAllocated: us(0x00280100),
    bitsStored: us(0x00280101, us(0x00280100)),
    pixelRepresentation: us(0x00280103, 0),
    planarConfiguration: us(0x00280006, 0),
    rescaleSlope: num(0x00281053) ?? 1,
    rescaleIntercept: num(0x00281052) ?? 0,
    windowCenter: num(0x00281050),
    windowWidth: num(0x00281051),
    transferSyntax: ts,
  };
  if (!pixelData) throw new InvalidDicom('no pixel data');

  if (pixelData.length >= 0) {
    if (ts !== TRANSFER.implicitLittle && ts !== TRANSFER.explicitLittle) throw new UnsupportedDicom(`transfer syntax ${ts}`);
    if (image.bitsAllocated !== 8 && image.bitsAllocated !== 16) throw new UnsupportedDicom(`${image.bitsAllocated}-bit pixels`);
    if (image.samplesPerPixel !== 1 && image.samplesPerPixel !== 3) throw new UnsupportedDicom(`${image.samplesPerPixel} samples per pixel`);
    const frameBytes = image.rows * image.columns * image.samplesPerPixel * (image.bitsAllocated / 8);
    if (pixelData.length < frameBytes * image.frames) throw new InvalidDicom(`pixel data holds ${pixelData.length} bytes, ${frameBytes * image.frames} expected`);
    image.native = bytes.subarray(pixelData.offset, pixelData.offset + frameBytes * image.frames);
    return image;
  }

  if (ts !== TRANSFER.jpegBaseline) throw new UnsupportedDicom(`transfer syntax ${ts}`);
  // Encapsulated (PS3.5 A.4): a Basic Offset Table item, then fragments, then a sequence delimiter.
  const fragments: Array<{ offset: number; data: Uint8Array }> = [];
  const table: number[] = [];
  let first = true;
  for (;;) {
    const h = header();
    if (h.tag === SEQ_END) break;
    if (h.tag !== ITEM || h.length === UNDEFINED) throw new InvalidDicom('bad encapsulated pixel data');
    need(h.length);
    if (first) {
      for (let i = 0; i + 4 <= h.length; i += 4) table.push(view.getUint32(pos + i, true));
      first = false;
      pos += h.length;
      continue;
    }
    fragments.push({ offset: pos - 8, data: bytes.subarray(pos, pos + h.length) });
    pos += h.length;
  }
  if (fragments.length === 0) throw new InvalidDicom('no encapsulated frames');
  const base = fragments[0].offset;
  if (table.length === image.frames && image.frames > 1) {
    // Offsets are relative to the first fragment's item tag.
    image.encapsulated = table.map((start, i) => {
      const end = i + 1 < table.length ? table[i + 1] : Infinity;
      return concat(fragments.filter((f) => f.offset - base >= start && f.offset - base < end).map((f) => f.data));
    });
  } else if (fragments.length === image.frames) {
    image.encapsulated = fragments.map((f) => f.data);
  } else if (image.frames === 1) {
    image.encapsulated = [concat(fragments.map((f) => f.data))];
  } else {
    throw new UnsupportedDicom(`${image.frames} frames in ${fragments.length} fragments without an offset table`);
  }
  return image;
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function hex(tag: number): string {
  const h = tag.toString(16).padStart(8, '0').toUpperCase();
  return `${h.slice(0, 4)},${h.slice(4)}`;
}

/** One frame of native grey pixels as modality values (rescale applied). */
export function greyFrame(image: DicomImage, index: number): Float32Array {
  if (!image.native || image.samplesPerPixel !== 1) throw new Error('not a native grey image');
  const n = image.rows * image.columns;
  const out = new Float32Array(n);
  const { rescaleSlope: m, rescaleIntercept: b } = image;
  if (image.bitsAllocated === 8) {
    const src = image.native.subarray(index * n, (index + 1) * n);
    for (let i = 0; i < n; i++) out[i] = src[i] * m + b;
    return out;
  }
  const view = new DataView(image.native.buffer, image.native.byteOffset + index * n * 2, n * 2);
  const signed = image.pixelRepresentation === 1;
  // Bits above Bits Stored may hold overlays or garbage: mask them, then sign-extend if signed.
  const mask = (1 << image.bitsStored) - 1;
  const sign = 1 << (image.bitsStored - 1);
  for (let i = 0; i < n; i++) {
    let v = view.getUint16(i * 2, true) & mask;
    if (signed && v & sign) v -= mask + 1;
    out[i] = v * m + b;
  }
  return out;
}

/** One frame of native colour pixels as RGBA (RGB or YBR_FULL, interleaved or planar, 8-bit). */
export function colourFrame(image: DicomImage, index: number): Uint8ClampedArray {
  if (!image.native || image.samplesPerPixel !== 3) throw new Error('not a native colour image');
  if (image.bitsAllocated !== 8) throw new UnsupportedDicom(`${image.bitsAllocated}-bit colour`);
  const n = image.rows * image.columns;
  const src = image.native.subarray(index * n * 3, (index + 1) * n * 3);
  const out = new Uint8ClampedArray(n * 4);
  const planar = image.planarConfiguration === 1;
  const ybr = image.photometric === 'YBR_FULL';
  if (!ybr && image.photometric !== 'RGB') throw new UnsupportedDicom(`photometric ${image.photometric}`);
  for (let i = 0; i < n; i++) {
    let a = planar ? src[i] : src[i * 3];
    let b = planar ? src[n + i] : src[i * 3 + 1];
    let c = planar ? src[2 * n + i] : src[i * 3 + 2];
    if (ybr) {
      // PS3.3 C.7.6.3.1.2: YBR_FULL to RGB.
      const y = a;
      const cb = b - 128;
      const cr = c - 128;
      a = y + 1.402 * cr;
      b = y - 0.344136 * cb - 0.714136 * cr;
      c = y + 1.772 * cb;
    }
    out[i * 4] = a;
    out[i * 4 + 1] = b;
    out[i * 4 + 2] = c;
    out[i * 4 + 3] = 255;
  }
  return out;
}
