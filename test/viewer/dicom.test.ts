import { colourFrame, greyFrame, InvalidDicom, isDicom, parseDicom, TRANSFER, UnsupportedDicom } from '../../viewer/src/dicom';
import { dicomFile } from '../helpers/dicom-file';

const u8 = (b: Buffer) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

describe('isDicom', () => {
  it('recognises DICM at offset 128 and nothing else', () => {
    const file = dicomFile({ rows: 2, columns: 2, pixels: new Uint8Array(4) });
    expect(isDicom(u8(file))).toBe(true);
    expect(isDicom(u8(Buffer.concat([Buffer.from('DICM'), Buffer.alloc(200)])))).toBe(false);
    expect(isDicom(u8(Buffer.from([0x89, 0x50, 0x4e, 0x47])))).toBe(false);
  });
});

describe('parseDicom', () => {
  it.each([false, true])('reads a multi-frame 16-bit stack (implicit VR: %s), skipping an undefined-length sequence', (implicit) => {
    const rows = 3;
    const columns = 4;
    const pixels = Uint16Array.from({ length: rows * columns * 2 }, (_, i) => i * 100);
    const img = parseDicom(u8(dicomFile({ rows, columns, frames: 2, pixels, bitsStored: 12, windowCenter: 600, windowWidth: 1200, implicit })));
    expect(img).toMatchObject({ rows, columns, frames: 2, bitsAllocated: 16, bitsStored: 12, samplesPerPixel: 1, photometric: 'MONOCHROME2', windowCenter: 600, windowWidth: 1200 });
    expect(img.transferSyntax).toBe(implicit ? TRANSFER.implicitLittle : TRANSFER.explicitLittle);
    expect(Array.from(greyFrame(img, 1)).slice(0, 3)).toEqual([1200, 1300, 1400]);
    expect(greyFrame(img, 1)[rows * columns - 1]).toBe(2300);
  });

  it('masks bits above Bits Stored and applies the rescale intercept', () => {
    const pixels = Uint16Array.from([0x1005, 5]);
    const img = parseDicom(u8(dicomFile({ rows: 1, columns: 2, pixels, bitsStored: 12, rescaleIntercept: -1000 })));
    expect(Array.from(greyFrame(img, 0))).toEqual([5 - 1000, 5 - 1000]);
  });

  it('reads 8-bit RGB and YBR_FULL colour photos as RGBA', () => {
    const rgb = parseDicom(u8(dicomFile({ rows: 1, columns: 2, samplesPerPixel: 3, pixels: Uint8Array.from([255, 0, 0, 0, 0, 255]) })));
    expect(Array.from(colourFrame(rgb, 0))).toEqual([255, 0, 0, 255, 0, 0, 255, 255]);
    const ybr = parseDicom(u8(dicomFile({ rows: 1, columns: 1, samplesPerPixel: 3, photometric: 'YBR_FULL', pixels: Uint8Array.from([128, 128, 128]) })));
    expect(Array.from(colourFrame(ybr, 0))).toEqual([128, 128, 128, 255]);
  });

  it('splits encapsulated JPEG frames by the offset table, or one fragment a frame without it', () => {
    const frames = [Uint8Array.from([0xff, 0xd8, 1, 0xff, 0xd9]), Uint8Array.from([0xff, 0xd8, 2, 2, 0xff, 0xd9])];
    for (const emptyOffsetTable of [false, true]) {
      const img = parseDicom(u8(dicomFile({ rows: 8, columns: 8, jpegFrames: frames, frames: 2, emptyOffsetTable })));
      expect(img.transferSyntax).toBe(TRANSFER.jpegBaseline);
      expect(img.encapsulated).toHaveLength(2);
      // The odd-length first frame was padded to even length by the writer, as the standard requires.
      expect(Array.from(img.encapsulated![0]).slice(0, 5)).toEqual(Array.from(frames[0]));
      expect(Array.from(img.encapsulated![1])).toEqual(Array.from(frames[1]));
    }
  });

  it('reads no identifying attribute', () => {
    const img = parseDicom(u8(dicomFile({ rows: 1, columns: 1, pixels: new Uint8Array(1), patientName: 'SECRET^NAME' })));
    expect(JSON.stringify({ ...img, native: undefined })).not.toMatch(/SECRET|PAT-12345|X-HIDDEN/);
  });

  it('rejects a truncated file and a file without the marker as InvalidDicom', () => {
    const file = dicomFile({ rows: 4, columns: 4, pixels: new Uint8Array(16) });
    expect(() => parseDicom(u8(file.subarray(0, file.length - 8)))).toThrow(InvalidDicom);
    expect(() => parseDicom(new Uint8Array(200))).toThrow(InvalidDicom);
  });

  it('reports an unsupported transfer syntax by UID', () => {
    const file = dicomFile({ rows: 1, columns: 1, pixels: new Uint8Array(1) });
    // Rewrite the transfer syntax UID to RLE lossless (1.2.840.10008.1.2.5), same length with its padding.
    const patched = Buffer.from(file.toString('latin1').replace('1.2.840.10008.1.2.1\0', '1.2.840.10008.1.2.5\0'), 'latin1');
    expect(() => parseDicom(u8(patched))).toThrow(UnsupportedDicom);
    expect(() => parseDicom(u8(patched))).toThrow('transfer syntax 1.2.840.10008.1.2.5');
  });
});
