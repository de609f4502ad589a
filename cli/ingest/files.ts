/**
 * What a file is, before any upload: DICOM (by its 'DICM' prefix), PNG or JPEG (by signature), a
 * vendor raw format (refused with the reason), or anything else (refused). PNG and JPEG pass only
 * with `--allow-images` and only without metadata: PNG chunks outside a list of pixel and colour
 * chunks (text, EXIF, time) and JPEG segments other than JFIF, ICC and Adobe colour (EXIF, XMP,
 * IPTC, comments) are refused. Reads headers by offset: memory does not grow with the file.
 */
import { open } from 'node:fs/promises';
import * as path from 'node:path';
import { fileSource, type ByteSource } from '../dicom/reader';

export type FileKind = 'dicom' | 'png' | 'jpeg' | 'vendor' | 'unknown';

/** Device exports that hold name, birth date, sex and ID in their own layout (reading.md §d.4). */
export const VENDOR_FORMATS: Readonly<Record<string, string>> = {
  '.e2e': 'Heidelberg Spectralis .e2e',
  '.fda': 'Topcon .fda',
  '.fds': 'Topcon .fds',
  '.img': 'Zeiss Cirrus .img',
};

export async function fileKind(file: string): Promise<FileKind> {
  if (VENDOR_FORMATS[path.extname(file).toLowerCase()]) return 'vendor';
  const fh = await open(file, 'r');
  try {
    const head = Buffer.alloc(132);
    const { bytesRead } = await fh.read(head, 0, 132, 0);
    if (bytesRead >= 132 && head.toString('latin1', 128, 132) === 'DICM') return 'dicom';
    if (bytesRead >= 8 && head.subarray(0, 8).equals(PNG_SIGNATURE)) return 'png';
    if (bytesRead >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'jpeg';
    return 'unknown';
  } finally {
    await fh.close();
  }
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** Pixel, palette and colour chunks: nothing a person wrote or a camera recorded. */
const PNG_ALLOWED = new Set(['IHDR', 'PLTE', 'IDAT', 'IEND', 'gAMA', 'cHRM', 'sRGB', 'iCCP', 'sBIT', 'pHYs', 'bKGD', 'tRNS', 'hIST', 'sPLT', 'cICP', 'mDCV', 'cLLI']);

/** The metadata a PNG or JPEG carries, as human-readable reasons; empty when it carries none. */
export async function imageMetadata(file: string, kind: 'png' | 'jpeg'): Promise<string[]> {
  const fh = await open(file, 'r');
  try {
    const src = await fileSource(fh);
    return kind === 'png' ? await pngMetadata(src) : await jpegMetadata(src);
  } finally {
    await fh.close();
  }
}

async function pngMetadata(src: ByteSource): Promise<string[]> {
  const found: string[] = [];
  let pos = 8;
  while (pos + 8 <= src.size) {
    const h = await src.read(pos, 8);
    const length = h.readUInt32BE(0);
    const type = h.toString('latin1', 4, 8);
    if (!PNG_ALLOWED.has(type)) found.push(`PNG chunk ${type}${type === 'eXIf' ? ' (EXIF)' : /^[tiz]TXt$/.test(type) || type === 'zTXt' ? ' (text)' : type === 'tIME' ? ' (time stamp)' : ''}`);
    if (type === 'IEND') break;
    pos += 12 + length;
  }
  return found;
}

async function jpegMetadata(src: ByteSource): Promise<string[]> {
  const found: string[] = [];
  let pos = 2;
  while (pos + 4 <= src.size) {
    const h = await src.read(pos, 4);
    if (h[0] !== 0xff) return [...found, `JPEG: no marker at offset ${pos} (malformed)`];
    const marker = h[1];
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      pos += 2;
      continue;
    }
    if (marker === 0xda || marker === 0xd9) break; // start of scan: the header ends here
    const length = h.readUInt16BE(2);
    if (marker >= 0xe0 && marker <= 0xef) {
      const id = (await src.read(pos + 4, Math.min(length - 2, 14))).toString('latin1');
      const ok = (marker === 0xe0 && id.startsWith('JFIF')) || (marker === 0xe2 && id.startsWith('ICC_PROFILE')) || (marker === 0xee && id.startsWith('Adobe'));
      if (!ok) found.push(`JPEG APP${marker - 0xe0} segment${id.startsWith('Exif') ? ' (EXIF)' : id.startsWith('http://ns.adobe.com/xap') ? ' (XMP)' : marker === 0xed ? ' (IPTC)' : ''}`);
    } else if (marker === 0xfe) {
      found.push('JPEG comment (COM) segment');
    }
    pos += 2 + length;
  }
  return found;
}
