/**
 * Demo case files for the viewer's browser tests, made from the seed's synthetic images: each eye
 * has a fundus photo and an OCT stack, in the encodings the viewer must handle (PNG, JPEG, DICOM
 * with 16-bit and 8-bit native pixels, explicit and implicit VR, encapsulated JPEG), and one file
 * with no eye recorded.
 */
import type { Page } from 'playwright-core';
import { encodePng, fundusPhoto, octVolume } from '../../local/seed/images';
import { dicomFile } from './dicom-file';
import type { FakeFile } from './case-files-server';

/** JPEG bytes for a PNG, encoded by the browser itself (the seed has no JPEG encoder). */
export async function jpegFromPng(page: Page, png: Buffer): Promise<Buffer> {
  const b64 = await page.evaluate(async (data) => {
    const blob = await (await fetch(`data:image/png;base64,${data}`)).blob();
    const bitmap = await createImageBitmap(blob);
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    canvas.getContext('2d')!.drawImage(bitmap, 0, 0);
    const jpeg = await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.9 });
    const bytes = new Uint8Array(await jpeg.arrayBuffer());
    let s = '';
    for (const b of bytes) s += String.fromCharCode(b);
    return btoa(s);
  }, png.toString('base64'));
  return Buffer.from(b64, 'base64');
}

export const PATIENT_NAME = 'HONG^GILDONG';

export async function demoFiles(page: Page, seed = 7): Promise<FakeFile[]> {
  const od = fundusPhoto({ eye: 'OD', seed, size: 384, lesions: { drusen: 10, haemorrhages: 4 } });
  const os = fundusPhoto({ eye: 'OS', seed, size: 384 });
  const octOd = octVolume({ eye: 'OD', seed, width: 256, height: 160, frames: 9, lesions: { drusen: 3 } });
  const octOs = octVolume({ eye: 'OS', seed, width: 256, height: 160, frames: 7 });
  // 12 bits stored in 16: the grey bytes spread over 0..4080, with the window the file names.
  const oct16 = new Uint16Array(octOd.frames.length * octOd.width * octOd.height);
  octOd.frames.forEach((f, i) => f.forEach((v, j) => (oct16[i * f.length + j] = v * 16)));
  const osJpeg = await jpegFromPng(page, encodePng(os));
  const octOs8 = new Uint8Array(octOs.frames.length * octOs.width * octOs.height);
  octOs.frames.forEach((f, i) => octOs8.set(f, i * f.length));
  return [
    { key: 'od/fundus.png', exam: 'fundus', eye: 'OD', body: encodePng(od) },
    { key: 'od/oct.dcm', exam: 'oct', eye: 'OD', body: dicomFile({ rows: octOd.height, columns: octOd.width, frames: octOd.frames.length, pixels: oct16, bitsStored: 12, windowCenter: 1600, windowWidth: 3200, patientName: PATIENT_NAME }) },
    { key: 'os/fundus.dcm', exam: 'fundus', eye: 'OS', body: dicomFile({ rows: 384, columns: 384, samplesPerPixel: 3, photometric: 'YBR_FULL_422', jpegFrames: [osJpeg], patientName: PATIENT_NAME }) },
    { key: 'os/oct.dcm', exam: 'oct', eye: 'OS', body: dicomFile({ rows: octOs.height, columns: octOs.width, frames: octOs.frames.length, pixels: octOs8, implicit: true, patientName: PATIENT_NAME }) },
    { key: 'extra/photo.jpg', exam: 'other', body: osJpeg },
  ];
}
