/**
 * Turns a file's bytes into a `Source` the panes can draw: DICOM when the bytes say so (DICM at
 * offset 128; names and URLs are never consulted), otherwise whatever the browser decodes (PNG,
 * JPEG). Frames are decoded on demand and the last few are kept, so a 100-slice OCT stack does not
 * sit decoded in memory.
 */
import { colourFrame, greyFrame, isDicom, parseDicom, type DicomImage } from './dicom';
import { fullRange, type Window } from './render';

export interface Source {
  width: number;
  height: number;
  frames: number;
  /** RGBA frames (photos) or grey modality values (scans). */
  colour: boolean;
  /** MONOCHROME1: low values are bright. */
  inverted: boolean;
  defaultWindow: Window;
  frame(index: number): Promise<Float32Array | Uint8ClampedArray>;
}

/** The browser could not decode a non-DICOM file. */
export class UndecodableImage extends Error {
  constructor() {
    super('undecodable image');
    this.name = 'UndecodableImage';
  }
}

async function bitmapPixels(blob: Blob): Promise<{ width: number; height: number; data: Uint8ClampedArray }> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(blob);
  } catch {
    throw new UndecodableImage();
  }
  const canvas = document.createElement('canvas');
  canvas.width = bitmap.width;
  canvas.height = bitmap.height;
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  return { width: canvas.width, height: canvas.height, data: ctx.getImageData(0, 0, canvas.width, canvas.height).data };
}

function cached<T>(load: (i: number) => Promise<T>, keep = 4): (i: number) => Promise<T> {
  const cache = new Map<number, Promise<T>>();
  return (i) => {
    let hit = cache.get(i);
    if (hit) {
      cache.delete(i);
    } else {
      hit = load(i);
      hit.catch(() => cache.delete(i));
    }
    cache.set(i, hit);
    while (cache.size > keep) cache.delete(cache.keys().next().value!);
    return hit;
  };
}

function dicomSource(d: DicomImage): Source {
  const common = { width: d.columns, height: d.rows, frames: d.frames, inverted: d.photometric === 'MONOCHROME1' };
  const fileWindow = d.windowCenter !== undefined && d.windowWidth !== undefined && d.windowWidth > 0 ? { center: d.windowCenter, width: d.windowWidth } : undefined;
  if (d.encapsulated) {
    const frames = d.encapsulated;
    return {
      ...common,
      colour: true,
      inverted: false,
      defaultWindow: { center: 128, width: 256 },
      frame: cached(async (i) => (await bitmapPixels(new Blob([frames[i] as BlobPart], { type: 'image/jpeg' }))).data),
    };
  }
  if (d.samplesPerPixel === 3) {
    return { ...common, colour: true, inverted: false, defaultWindow: { center: 128, width: 256 }, frame: cached(async (i) => colourFrame(d, i)) };
  }
  const frame = cached(async (i: number) => greyFrame(d, i));
  return { ...common, colour: false, defaultWindow: fileWindow ?? { center: 0, width: 0 }, frame };
}

export async function decodeImage(bytes: Uint8Array): Promise<Source> {
  if (isDicom(bytes)) {
    const source = dicomSource(parseDicom(bytes));
    if (source.defaultWindow.width === 0) source.defaultWindow = fullRange((await source.frame(0)) as Float32Array);
    return source;
  }
  const { width, height, data } = await bitmapPixels(new Blob([bytes as BlobPart]));
  return { width, height, frames: 1, colour: true, inverted: false, defaultWindow: { center: 128, width: 256 }, frame: async () => data };
}
