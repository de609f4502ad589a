import { PNG } from 'pngjs';
import { encodePng, fundusPhoto, octFrame, octVolume, toRgb, type RgbaImage } from '../../../local/seed/images';

/** Mean x of the pale pixels (blue > 100): the optic disc is the only large pale structure. */
function paleCentroidX(img: RgbaImage): number {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < img.width * img.height; i++) {
    if (img.data[i * 4 + 2] > 100) {
      sum += i % img.width;
      n++;
    }
  }
  return sum / n;
}

/** Yellow pixels (high red and green, blue well below) in the temporal half of a right eye (left half of the image). */
function yellowPixelsTemporalOD(img: RgbaImage): number {
  let n = 0;
  for (let i = 0; i < img.width * img.height; i++) {
    if (i % img.width >= img.width / 2) continue;
    const o = i * 4;
    if (img.data[o] > 200 && img.data[o + 1] > 140 && img.data[o + 2] < 150) n++;
  }
  return n;
}

describe('fundusPhoto', () => {
  const size = 256;

  it('is deterministic: the same seed gives the same pixels, another seed others', () => {
    const a = fundusPhoto({ eye: 'OD', seed: 42, size });
    const b = fundusPhoto({ eye: 'OD', seed: 42, size });
    const c = fundusPhoto({ eye: 'OD', seed: 43, size });
    expect(Buffer.compare(a.data, b.data)).toBe(0);
    expect(Buffer.compare(a.data, c.data)).not.toBe(0);
    expect(a.data.length).toBe(size * size * 4);
  });

  it('puts the optic disc nasally: right of centre for OD, left for OS', () => {
    const od = fundusPhoto({ eye: 'OD', seed: 1, size });
    const os = fundusPhoto({ eye: 'OS', seed: 1, size });
    const R = size * 0.47;
    expect(paleCentroidX(od)).toBeGreaterThan(size / 2 + 0.25 * R);
    expect(paleCentroidX(os)).toBeLessThan(size / 2 - 0.25 * R);
  });

  it('draws drusen only when asked', () => {
    const plain = fundusPhoto({ eye: 'OD', seed: 5, size: 384 });
    const drusen = fundusPhoto({ eye: 'OD', seed: 5, size: 384, lesions: { drusen: 15 } });
    expect(yellowPixelsTemporalOD(plain)).toBeLessThan(5);
    expect(yellowPixelsTemporalOD(drusen)).toBeGreaterThan(50);
  });

  it('is black outside the circular field of view', () => {
    const img = fundusPhoto({ eye: 'OS', seed: 9, size });
    for (const [x, y] of [[0, 0], [size - 1, 0], [0, size - 1], [size - 1, size - 1]]) {
      const o = (y * size + x) * 4;
      expect([img.data[o], img.data[o + 1], img.data[o + 2], img.data[o + 3]]).toEqual([0, 0, 0, 255]);
    }
  });
});

describe('octVolume', () => {
  /** First row from the top whose mean over columns [x0, x1) exceeds a tissue threshold. */
  function surface(frame: Uint8Array, width: number, height: number, x0: number, x1: number): number {
    for (let z = 0; z < height; z++) {
      let sum = 0;
      for (let x = x0; x < x1; x++) sum += frame[z * width + x];
      if (sum / (x1 - x0) > 60) return z;
    }
    return height;
  }

  it('has the requested shape and is deterministic', () => {
    const a = octVolume({ eye: 'OD', seed: 3, width: 64, height: 80, frames: 5 });
    const b = octVolume({ eye: 'OD', seed: 3, width: 64, height: 80, frames: 5 });
    expect(a.frames).toHaveLength(5);
    expect(a.frames.every((f) => f.length === 64 * 80)).toBe(true);
    expect(a.frames.map((f) => Buffer.from(f).toString('base64'))).toEqual(b.frames.map((f) => Buffer.from(f).toString('base64')));
  });

  it('has a foveal pit on the central B-scan and none on the edge ones', () => {
    const v = octVolume({ eye: 'OS', seed: 11, width: 200, height: 200, frames: 9 });
    const centre = v.frames[4];
    const pitDepth = surface(centre, 200, 200, 95, 105) - surface(centre, 200, 200, 55, 65);
    expect(pitDepth).toBeGreaterThan(6);
    const edge = v.frames[0];
    expect(Math.abs(surface(edge, 200, 200, 95, 105) - surface(edge, 200, 200, 55, 65))).toBeLessThan(4);
  });
});

describe('encodePng', () => {
  it('writes RGBA photos and grey B-scans that decode to the same pixels', () => {
    const photo = fundusPhoto({ eye: 'OD', seed: 2, size: 64 });
    const decoded = PNG.sync.read(encodePng(photo));
    expect([decoded.width, decoded.height]).toEqual([64, 64]);
    expect(Buffer.compare(decoded.data, Buffer.from(photo.data))).toBe(0);

    const scan = octFrame(octVolume({ eye: 'OD', seed: 2, width: 32, height: 24, frames: 1 }), 0);
    const png = encodePng(scan);
    expect(png[25]).toBe(0); // IHDR colour type 0: greyscale
    const grey = PNG.sync.read(png);
    const firstChannel = Uint8Array.from({ length: 32 * 24 }, (_, i) => grey.data[i * 4]);
    expect(Buffer.compare(Buffer.from(firstChannel), Buffer.from(scan.data))).toBe(0);
  });
});

describe('toRgb', () => {
  it('drops alpha for a DICOM RGB frame', () => {
    expect(Array.from(toRgb({ width: 2, height: 1, data: Uint8Array.from([1, 2, 3, 255, 4, 5, 6, 255]) }))).toEqual([1, 2, 3, 4, 5, 6]);
  });
});
