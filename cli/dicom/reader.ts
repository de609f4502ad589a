/**
 * A streaming reader of DICOM Part 10 headers. It reads the file meta group and the data set up to
 * Pixel Data (7FE0,0010), then skips the pixel bytes by offset (walking encapsulated fragments item by
 * item) and reads whatever follows them: memory stays bounded whatever the file's size, and nothing
 * after the pixels escapes the gate. Explicit and implicit VR little endian; sequences and items of
 * defined and undefined length (UN of undefined length is read as an implicit VR sequence, as
 * PS3.5 §6.2.2 says). Deflated and big-endian transfer syntaxes are refused, not guessed.
 *
 * dicom-parser and dcmjs both need the whole file in memory, which a 1 GB OCT volume rules out.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { LONG_VRS, T, TRANSFER_SYNTAX, UNDEFINED_LENGTH, formatTag, groupOf } from './tags';

export interface DicomElement {
  tag: number;
  /** The explicit VR; for implicit VR data, 'SQ' for sequences and '' otherwise. */
  vr: string;
  /** Value length in bytes; UNDEFINED_LENGTH for undefined-length sequences and encapsulated data. */
  length: number;
  /** File offset of the element's tag. */
  offset: number;
  /** File offset just past the element (its value, items or fragments included). */
  end: number;
  /** The value bytes, when the element is not a sequence and holds at most `maxValueBytes`. */
  value?: Buffer;
  /** True when the value was larger than `maxValueBytes` and skipped unread. */
  skipped?: boolean;
  /** Items of a sequence, each a list of elements. */
  items?: DicomElement[][];
}

export interface PixelDataInfo {
  vr: string;
  /** UNDEFINED_LENGTH when encapsulated (compressed frames as fragments). */
  length: number;
  offset: number;
  end: number;
}

export interface DicomHeader {
  size: number;
  /** File meta information (group 0002). */
  meta: DicomElement[];
  transferSyntax: string;
  explicit: boolean;
  /** Data set elements before Pixel Data. */
  elements: DicomElement[];
  pixelData?: PixelDataInfo;
  /** Data set elements after Pixel Data. */
  trailing: DicomElement[];
}

export class DicomParseError extends Error {
  constructor(
    message: string,
    readonly rule: 'not_dicom' | 'transfer_syntax' | 'malformed',
  ) {
    super(message);
    this.name = 'DicomParseError';
  }
}

/** Random-access bytes: a file or a buffer. */
export interface ByteSource {
  readonly size: number;
  read(position: number, length: number): Promise<Buffer>;
}

export function bufferSource(buf: Buffer): ByteSource {
  return { size: buf.length, read: async (p, n) => buf.subarray(p, Math.min(buf.length, p + n)) };
}

export async function fileSource(fh: FileHandle): Promise<ByteSource> {
  const { size } = await fh.stat();
  return {
    size,
    async read(position, length) {
      const n = Math.max(0, Math.min(length, size - position));
      const buf = Buffer.allocUnsafe(n);
      let got = 0;
      while (got < n) {
        const { bytesRead } = await fh.read(buf, got, n - got, position + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      return buf.subarray(0, got);
    },
  };
}

/** Buffered reads over a ByteSource: header fields come out of one 64 KiB window. */
class Cursor {
  private buf: Buffer = Buffer.alloc(0);
  private bufStart = 0;
  pos = 0;
  constructor(
    private readonly src: ByteSource,
    private readonly chunk = 64 * 1024,
  ) {}

  get size() {
    return this.src.size;
  }

  async ensure(n: number): Promise<void> {
    if (this.pos >= this.bufStart && this.pos + n <= this.bufStart + this.buf.length) return;
    if (this.pos + n > this.src.size) throw new DicomParseError(`truncated: ${n} bytes needed at offset ${this.pos}, the file has ${this.src.size}`, 'malformed');
    this.buf = await this.src.read(this.pos, Math.max(n, this.chunk));
    this.bufStart = this.pos;
  }
  u16(): number {
    const v = this.buf.readUInt16LE(this.pos - this.bufStart);
    this.pos += 2;
    return v;
  }
  u32(): number {
    const v = this.buf.readUInt32LE(this.pos - this.bufStart);
    this.pos += 4;
    return v;
  }
  ascii(n: number): string {
    const v = this.buf.toString('latin1', this.pos - this.bufStart, this.pos - this.bufStart + n);
    this.pos += n;
    return v;
  }
  /** Copies n bytes (the window is reused, so values must not alias it). */
  async bytes(n: number): Promise<Buffer> {
    if (n <= this.chunk) {
      await this.ensure(n);
      const v = Buffer.from(this.buf.subarray(this.pos - this.bufStart, this.pos - this.bufStart + n));
      this.pos += n;
      return v;
    }
    const v = await this.src.read(this.pos, n);
    if (v.length < n) throw new DicomParseError(`truncated value at offset ${this.pos}`, 'malformed');
    this.pos += n;
    return Buffer.from(v);
  }
  skip(n: number) {
    if (this.pos + n > this.src.size) throw new DicomParseError(`truncated: a value of ${n} bytes at offset ${this.pos} runs past the end of the file`, 'malformed');
    this.pos += n;
  }
  async peekU32(): Promise<number> {
    await this.ensure(4);
    return this.buf.readUInt32LE(this.pos - this.bufStart);
  }
}

export interface ReadOptions {
  /** Values larger than this are skipped (recorded as `skipped`). Default 1 MiB. */
  maxValueBytes?: number;
}

const MAX_DEPTH = 16;

/** Reads the header of the DICOM file at `path` (see the module comment for what that covers). */
export async function readDicomFile(path: string, opts: ReadOptions = {}): Promise<DicomHeader> {
  const fh = await open(path, 'r');
  try {
    return await readDicom(await fileSource(fh), opts);
  } finally {
    await fh.close();
  }
}

export async function readDicom(src: ByteSource, opts: ReadOptions = {}): Promise<DicomHeader> {
  const maxValue = opts.maxValueBytes ?? 1024 * 1024;
  const cur = new Cursor(src);
  if (src.size < 132) throw new DicomParseError('not a DICOM Part 10 file: shorter than the 128-byte preamble and DICM prefix', 'not_dicom');
  cur.pos = 128;
  await cur.ensure(4);
  if (cur.ascii(4) !== 'DICM') throw new DicomParseError("not a DICOM Part 10 file: no 'DICM' after the 128-byte preamble", 'not_dicom');

  // File meta: always explicit VR little endian; read while the group is 0002.
  const meta: DicomElement[] = [];
  for (;;) {
    if (cur.pos + 4 > src.size) break;
    await cur.ensure(4);
    const group = (await cur.peekU32()) & 0xffff;
    if (group !== 0x0002) break;
    meta.push(await readElement(cur, true, 0, maxValue, false));
  }
  const tsElement = meta.find((e) => e.tag === T.TransferSyntaxUID);
  if (!tsElement?.value) throw new DicomParseError('the file meta information has no Transfer Syntax UID (0002,0010)', 'malformed');
  const transferSyntax = textValue(tsElement);
  if (transferSyntax === TRANSFER_SYNTAX.deflatedExplicitLittle) {
    throw new DicomParseError('deflated transfer syntax (1.2.840.10008.1.2.1.99) is not accepted: export without deflate compression', 'transfer_syntax');
  }
  if (transferSyntax === TRANSFER_SYNTAX.explicitBig) {
    throw new DicomParseError('explicit VR big endian (retired) is not accepted: export as little endian', 'transfer_syntax');
  }
  const explicit = transferSyntax !== TRANSFER_SYNTAX.implicitLittle;

  const elements: DicomElement[] = [];
  const trailing: DicomElement[] = [];
  let pixelData: PixelDataInfo | undefined;
  while (cur.pos < src.size) {
    if (src.size - cur.pos < 8) throw new DicomParseError(`truncated: ${src.size - cur.pos} stray bytes at the end of the file`, 'malformed');
    const e = await readElement(cur, explicit, 0, maxValue, true);
    if (e.tag === T.PixelData && !pixelData) {
      pixelData = { vr: e.vr, length: e.length, offset: e.offset, end: e.end };
      continue;
    }
    (pixelData ? trailing : elements).push(e);
  }
  return { size: src.size, meta, transferSyntax, explicit, elements, pixelData, trailing };
}

async function readElement(cur: Cursor, explicit: boolean, depth: number, maxValue: number, topLevel: boolean): Promise<DicomElement> {
  const offset = cur.pos;
  await cur.ensure(8);
  const group = cur.u16();
  const element = cur.u16();
  const t = ((group << 16) | element) >>> 0;
  let vr = '';
  let length: number;
  if (explicit && group !== 0xfffe) {
    vr = cur.ascii(2);
    if (!/^[A-Z]{2}$/.test(vr)) throw new DicomParseError(`bad VR '${vr}' for ${formatTag(t)} at offset ${offset}`, 'malformed');
    if (LONG_VRS.has(vr)) {
      await cur.ensure(6);
      cur.skip(2);
      length = cur.u32();
    } else {
      length = cur.u16();
    }
  } else {
    length = cur.u32();
  }

  if (t === T.PixelData && topLevel) {
    // The pixels are never read: skipped by length, or fragment by fragment when encapsulated.
    if (length === UNDEFINED_LENGTH) await skipFragments(cur, t);
    else cur.skip(length);
    return { tag: t, vr, length, offset, end: cur.pos };
  }

  const isSequence =
    vr === 'SQ' ||
    (vr === 'UN' && length === UNDEFINED_LENGTH) ||
    (!explicit && length === UNDEFINED_LENGTH && t !== T.PixelData) ||
    (!explicit && length >= 8 && length !== UNDEFINED_LENGTH && (await cur.peekU32()) === 0xe000fffe);
  if (isSequence) {
    if (depth >= MAX_DEPTH) throw new DicomParseError(`sequences nested deeper than ${MAX_DEPTH} at ${formatTag(t)}`, 'malformed');
    // A UN sequence is implicit VR inside, whatever the transfer syntax.
    const items = await readItems(cur, vr === 'UN' ? false : explicit, length, depth + 1, maxValue, t);
    return { tag: t, vr: vr === 'UN' || vr === '' ? 'SQ' : vr, length, offset, end: cur.pos, items };
  }
  if (length === UNDEFINED_LENGTH) {
    // Encapsulated data below the top level (an icon's compressed pixels): fragments, skipped.
    await skipFragments(cur, t);
    return { tag: t, vr, length, offset, end: cur.pos, skipped: true };
  }
  if (length > maxValue) {
    cur.skip(length);
    return { tag: t, vr, length, offset, end: cur.pos, skipped: true };
  }
  const value = await cur.bytes(length);
  return { tag: t, vr, length, offset, end: cur.pos, value };
}

async function readItems(cur: Cursor, explicit: boolean, length: number, depth: number, maxValue: number, seqTag: number): Promise<DicomElement[][]> {
  const items: DicomElement[][] = [];
  const end = length === UNDEFINED_LENGTH ? undefined : cur.pos + length;
  if (end !== undefined && end > cur.size) throw new DicomParseError(`sequence ${formatTag(seqTag)} runs past the end of the file`, 'malformed');
  for (;;) {
    if (end !== undefined && cur.pos >= end) break;
    await cur.ensure(8);
    const itemTag = ((cur.u16() << 16) | cur.u16()) >>> 0;
    const itemLength = cur.u32();
    if (itemTag === T.SequenceDelimitationItem) break;
    if (itemTag !== T.Item) throw new DicomParseError(`expected an item in ${formatTag(seqTag)}, found ${formatTag(itemTag)} at offset ${cur.pos - 8}`, 'malformed');
    const elements: DicomElement[] = [];
    const itemEnd = itemLength === UNDEFINED_LENGTH ? undefined : cur.pos + itemLength;
    for (;;) {
      if (itemEnd !== undefined && cur.pos >= itemEnd) break;
      if (itemEnd === undefined) {
        await cur.ensure(8);
        if ((await cur.peekU32()) === 0xe00dfffe) {
          cur.skip(8); // item delimitation item
          break;
        }
      }
      elements.push(await readElement(cur, explicit, depth, maxValue, false));
    }
    items.push(elements);
  }
  return items;
}

async function skipFragments(cur: Cursor, t: number): Promise<void> {
  for (;;) {
    await cur.ensure(8);
    const itemTag = ((cur.u16() << 16) | cur.u16()) >>> 0;
    const len = cur.u32();
    if (itemTag === T.SequenceDelimitationItem) return;
    if (itemTag !== T.Item || len === UNDEFINED_LENGTH) throw new DicomParseError(`bad fragment in encapsulated ${formatTag(t)} at offset ${cur.pos - 8}`, 'malformed');
    cur.skip(len);
  }
}

/** A text value without its padding (trailing spaces and NULs, leading spaces). */
export function textValue(e: Pick<DicomElement, 'value'>): string {
  return e.value ? e.value.toString('latin1').replace(/[\0 ]+$/, '').replace(/^ +/, '') : '';
}

/** True when the element carries information: a non-blank value, a skipped value, or items. */
export function holdsValue(e: DicomElement): boolean {
  if (e.items) return e.items.length > 0;
  if (e.skipped) return e.length > 0;
  if (!e.value || e.value.length === 0) return false;
  return /[^\0 \\]/.test(e.value.toString('latin1'));
}

/** Finds an element by tag in a list (top level or one item). */
export const find = (elements: DicomElement[], t: number) => elements.find((e) => e.tag === t);

/** True for private data elements (odd groups), the ones Annex E removes unless known safe. */
export const isPrivate = (t: number) => (groupOf(t) & 1) === 1;
