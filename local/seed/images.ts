/**
 * Synthetic demo images for the local reading room: fundus-like colour photos and OCT-like B-scan
 * stacks. Procedural, so no real patient data is ever shipped or needed.
 *
 * Every generator is a pure function of its options (the seed included): the same seed gives the
 * same pixels on every machine, so a seeded study and its tests are reproducible. The pixels come
 * back as plain buffers (RGBA for photos, 8-bit grey for B-scans) so a DICOM writer can wrap the
 * same pixels (OP/OPT) that `encodePng` writes as PNG.
 *
 * Anatomy, roughly to scale for a 45° macula-centred photo and a 6 mm macular cube: the optic disc
 * sits nasally (right of the image for a right eye, left for a left eye), the macula and fovea near
 * the centre, four vascular arcades leave the disc and curve around the macula. The B-scans show
 * the retinal layers from the inner limiting membrane to the choroid with a foveal pit that is
 * deepest on the central slice. Speed matters more than realism (a 50-case seed must take
 * seconds), so vessels are stamped discs, noise is value noise and speckle comes from a table.
 */
import { PNG } from 'pngjs';

export type Eye = 'OD' | 'OS';

/** 8-bit RGBA, row-major, 4 bytes a pixel. */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** 8-bit greyscale, row-major, 1 byte a pixel. */
export interface GreyImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** A B-scan stack: `frames[i]` is slice i from superior to inferior, each `width`×`height` grey bytes. */
export interface OctVolume {
  width: number;
  height: number;
  frames: Uint8Array[];
}

/** Findings to draw, so graders have something to grade. Counts; 0 or absent draws none. */
export interface Lesions {
  /** Small yellow deposits around the macula (photo) and RPE bumps (OCT). */
  drusen?: number;
  /** Dark red dot and blot haemorrhages (photo only). */
  haemorrhages?: number;
}

export interface FundusOptions {
  eye: Eye;
  /** Any 32-bit integer; the same seed gives the same image. */
  seed: number;
  /** Width and height in pixels. @default 512 */
  size?: number;
  lesions?: Lesions;
}

export interface OctOptions {
  eye: Eye;
  seed: number;
  /** A-scans per B-scan. @default 320 */
  width?: number;
  /** Pixels in depth. @default 200 */
  height?: number;
  /** B-scans in the stack; the fovea is on the middle one. @default 16 */
  frames?: number;
  lesions?: Pick<Lesions, 'drusen'>;
}

/** mulberry32: a small, fast, well-mixed 32-bit PRNG; returns floats in [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Derives an independent seed for a sub-part (eye, slice, layer) so parts do not share streams. */
export function subSeed(seed: number, part: string): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (let i = 0; i < part.length; i++) h = Math.imul(h ^ part.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** Smooth value noise on a coarse grid, bilinearly interpolated: cheap choroidal texture. */
function valueNoise(size: number, cells: number, random: () => number): Float32Array {
  const g = cells + 2;
  const grid = new Float32Array(g * g);
  for (let i = 0; i < grid.length; i++) grid[i] = random() * 2 - 1;
  const out = new Float32Array(size * size);
  const scale = cells / size;
  for (let y = 0; y < size; y++) {
    const gy = y * scale;
    const y0 = gy | 0;
    const fy = gy - y0;
    const sy = fy * fy * (3 - 2 * fy);
    for (let x = 0; x < size; x++) {
      const gx = x * scale;
      const x0 = gx | 0;
      const fx = gx - x0;
      const sx = fx * fx * (3 - 2 * fx);
      const i = y0 * g + x0;
      const top = grid[i] + (grid[i + 1] - grid[i]) * sx;
      const bottom = grid[i + g] + (grid[i + g + 1] - grid[i + g]) * sx;
      out[y * size + x] = top + (bottom - top) * sy;
    }
  }
  return out;
}

/** Stamps a soft disc into `map` (max-blend) at pixel (cx, cy) with radius r and peak `strength`. */
function stamp(map: Float32Array, size: number, cx: number, cy: number, r: number, strength: number): void {
  const x0 = Math.max(0, Math.floor(cx - r));
  const x1 = Math.min(size - 1, Math.ceil(cx + r));
  const y0 = Math.max(0, Math.floor(cy - r));
  const y1 = Math.min(size - 1, Math.ceil(cy + r));
  const r2 = r * r;
  for (let y = y0; y <= y1; y++) {
    const dy = y - cy;
    for (let x = x0; x <= x1; x++) {
      const dx = x - cx;
      const d2 = dx * dx + dy * dy;
      if (d2 >= r2) continue;
      const v = strength * (1 - d2 / r2);
      const i = y * size + x;
      if (v > map[i]) map[i] = v;
    }
  }
}

interface VesselMaps {
  arteries: Float32Array;
  veins: Float32Array;
}

/**
 * Vascular tree as random walks from the disc. Each arcade steers towards a target heading (the
 * temporal ones curve around the macula) and branches with decreasing calibre. Coordinates are in
 * units of the field-of-view radius; `mirror` is -1 for a left eye.
 */
function drawVessels(size: number, cx: number, cy: number, R: number, disc: [number, number], fovea: [number, number], mirror: number, random: () => number): VesselMaps {
  const maps: VesselMaps = { arteries: new Float32Array(size * size), veins: new Float32Array(size * size) };
  // [initial heading, turn towards, calibre] in OD orientation (x grows nasally, y downwards).
  const arcades: Array<[number, number, number]> = [
    [-1.75, -2.9, 0.016], // superotemporal: up, then temporal
    [1.75, 2.9, 0.016], // inferotemporal: down, then temporal
    [-1.2, -0.5, 0.011], // superonasal
    [1.2, 0.5, 0.011], // inferonasal
  ];
  interface Walker { x: number; y: number; a: number; target: number; w: number; vein: boolean; depth: number }
  const queue: Walker[] = [];
  for (const [a, target, w] of arcades) {
    queue.push({ x: disc[0], y: disc[1], a: a - 0.08, target, w, vein: true, depth: 0 });
    queue.push({ x: disc[0], y: disc[1], a: a + 0.08, target, w: w * 0.75, vein: false, depth: 0 });
  }
  const step = 0.012;
  let budget = 6000; // bounds the work whatever the random draws
  while (queue.length > 0 && budget > 0) {
    const v = queue.pop()!;
    for (let i = 0; i < 260 && budget > 0; i++, budget--) {
      const turn = Math.atan2(Math.sin(v.target - v.a), Math.cos(v.target - v.a));
      v.a += turn * 0.025 + (random() - 0.5) * 0.22;
      v.x += Math.cos(v.a) * step;
      v.y += Math.sin(v.a) * step;
      v.w *= 0.996;
      if (v.x * v.x + v.y * v.y > 1.1 || v.w < 0.0022) break;
      const px = cx + mirror * v.x * R;
      const py = cy + v.y * R;
      // Capillaries stop at the foveal avascular zone.
      if ((v.x - fovea[0]) ** 2 + (v.y - fovea[1]) ** 2 < 0.006) break;
      const rp = Math.max(1.1, v.w * R);
      const map = v.vein ? maps.veins : maps.arteries;
      // Enough stamps a step to keep even a thin vessel a continuous line; thin ones are fainter.
      const stamps = Math.ceil((step * R) / (rp * 0.6));
      const strength = Math.min(1, v.w * R / 1.5);
      for (let k = 0; k < stamps; k++) {
        const back = (k / stamps) * step * R;
        stamp(map, size, px - mirror * Math.cos(v.a) * back, py - Math.sin(v.a) * back, rp, strength);
      }
      if (v.depth < 3 && random() < 0.035) {
        const side = random() < 0.5 ? -1 : 1;
        const a = v.a + side * (0.5 + random() * 0.6);
        queue.push({ x: v.x, y: v.y, a, target: a + side * 0.3, w: v.w * 0.68, vein: v.vein, depth: v.depth + 1 });
        v.w *= 0.88;
      }
    }
  }
  return maps;
}

const clamp255 = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : v | 0);

/** A fundus-like colour photo of one eye. */
export function fundusPhoto(opts: FundusOptions): RgbaImage {
  const size = opts.size ?? 512;
  const random = rng(subSeed(opts.seed, `fundus-${opts.eye}`));
  const mirror = opts.eye === 'OS' ? -1 : 1;
  const cx = size / 2;
  const cy = size / 2;
  const R = size * 0.47;
  // Small per-image variation of the anatomy, so no two cases look the same.
  const disc: [number, number] = [0.36 + (random() - 0.5) * 0.06, (random() - 0.5) * 0.08];
  const discR = 0.085 + random() * 0.015;
  const cupR = discR * (0.3 + random() * 0.3);
  const fovea: [number, number] = [-0.1 + (random() - 0.5) * 0.04, 0.03 + (random() - 0.5) * 0.04];
  const pigment = 0.85 + random() * 0.3; // darker or lighter fundus

  const texture = valueNoise(size, 12, random);
  const fine = valueNoise(size, 60, random);
  const vessels = drawVessels(size, cx, cy, R, disc, fovea, mirror, random);

  // Lesions as stamped maps: drusen near the macula, haemorrhages anywhere in the posterior pole.
  const drusen = new Float32Array(size * size);
  for (let i = 0; i < (opts.lesions?.drusen ?? 0); i++) {
    const a = random() * Math.PI * 2;
    const d = Math.sqrt(random()) * 0.22;
    stamp(drusen, size, cx + mirror * (fovea[0] + Math.cos(a) * d) * R, cy + (fovea[1] + Math.sin(a) * d) * R, (0.008 + random() * 0.012) * R, 0.8 + random() * 0.2);
  }
  const haem = new Float32Array(size * size);
  for (let i = 0; i < (opts.lesions?.haemorrhages ?? 0); i++) {
    const a = random() * Math.PI * 2;
    const d = 0.15 + random() * 0.55;
    stamp(haem, size, cx + mirror * Math.cos(a) * d * R, cy + Math.sin(a) * d * R, (0.008 + random() * 0.022) * R, 1);
  }

  const out = new Uint8Array(size * size * 4);
  const noise = rng(subSeed(opts.seed, 'grain'));
  for (let y = 0; y < size; y++) {
    const ny = (y - cy) / R;
    for (let x = 0; x < size; x++) {
      const i = y * size + x;
      const o = i * 4;
      const nx = (mirror * (x - cx)) / R; // OD orientation
      const r2 = nx * nx + ny * ny;
      out[o + 3] = 255;
      if (r2 > 1) {
        // Outside the camera's circular field: black, with a 1.5 px soft rim.
        const edge = 1 - (Math.sqrt(r2) - 1) * R / 1.5;
        if (edge <= 0) continue;
        out[o] = 40 * edge;
        out[o + 1] = 12 * edge;
        out[o + 2] = 4 * edge;
        continue;
      }
      const vignette = 1 - 0.55 * r2 * r2;
      const t = 1 + 0.08 * texture[i] + 0.03 * fine[i];
      let red = 215 * vignette * t * pigment;
      let green = 92 * vignette * t * pigment;
      let blue = 40 * vignette * t;

      // Macula: darker and browner; fovea: darkest, with a faint light reflex at its centre.
      const mx = nx - fovea[0];
      const my = ny - fovea[1];
      const md2 = mx * mx + my * my;
      // exp() is the costliest step here: skip it where its value is negligible (< 0.1 %).
      let reflex = 0;
      if (md2 < 0.21) {
        const mac = Math.exp(-md2 / 0.03);
        const fov = md2 < 0.009 ? Math.exp(-md2 / 0.0012) : 0;
        red *= 1 - 0.28 * mac - 0.15 * fov;
        green *= 1 - 0.38 * mac - 0.25 * fov;
        blue *= 1 - 0.3 * mac;
        if (md2 < 0.0004) reflex = Math.exp(-md2 / 0.00005) * 60;
      }

      // Optic disc: pale pink-yellow rim, paler cup, soft margin.
      const dx = nx - disc[0];
      const dy = ny - disc[1];
      const dd = Math.sqrt(dx * dx + (dy * dy) / 1.15);
      if (dd < discR * 1.15) {
        const rim = Math.min(1, Math.max(0, (discR * 1.15 - dd) / (discR * 0.15)));
        const cup = Math.min(1, Math.max(0, (cupR * 1.2 - dd) / (cupR * 0.4)));
        red = red + (245 - red) * rim;
        green = green + (175 + 50 * cup - green) * rim;
        blue = blue + (110 + 80 * cup - blue) * rim;
      }

      // Vessels: veins darker and bluer than arteries.
      const va = vessels.veins[i];
      const ar = vessels.arteries[i];
      if (va > 0 || ar > 0) {
        const v = Math.min(1, va * 1.3);
        const a = Math.min(1, ar * 1.3) * (1 - v);
        red = red * (1 - 0.55 * v - 0.3 * a);
        green = green * (1 - 0.75 * v - 0.55 * a);
        blue = blue * (1 - 0.6 * v - 0.45 * a);
      }

      if (drusen[i] > 0) {
        const d = drusen[i];
        red += (250 - red) * d * 0.7;
        green += (215 - green) * d * 0.7;
        blue += (120 - blue) * d * 0.6;
      }
      if (haem[i] > 0) {
        const h = Math.min(1, haem[i] * 1.6);
        red *= 1 - 0.5 * h;
        green *= 1 - 0.8 * h;
        blue *= 1 - 0.7 * h;
      }

      const grain = (noise() - 0.5) * 6;
      out[o] = clamp255(red + reflex + grain);
      out[o + 1] = clamp255(green + reflex + grain);
      out[o + 2] = clamp255(blue + reflex * 0.8 + grain);
    }
  }
  return { width: size, height: size, data: out };
}

/**
 * Speckle: multiplicative noise with a long bright tail (Rayleigh-like). A field of 2^18 values is
 * made once and each B-scan reads it from its own random offset and odd stride: a per-pixel random
 * draw was half the time of a volume, and a repeat every 2^18 pixels (four B-scans) is invisible at a random stride.
 */
const SPECKLE_BITS = 18;
let speckleField: Float32Array | undefined;
function speckleTable(): Float32Array {
  if (!speckleField) {
    speckleField = new Float32Array(1 << SPECKLE_BITS);
    const r = rng(0x5eed);
    for (let i = 0; i < speckleField.length; i++) speckleField[i] = Math.min(2.6, Math.sqrt(-Math.log(1 - r() * 0.999)) * 0.9);
  }
  return speckleField;
}

/** Reflectivity of each band from the vitreous down to the sclera (0..255 before speckle). */
const BANDS = {
  vitreous: 4,
  rnfl: 190,
  gcl: 105,
  ipl: 150,
  inl: 62,
  opl: 145,
  onl: 45,
  elm: 120,
  myoid: 60,
  ez: 215,
  iz: 120,
  rpe: 235,
  choroid: 120,
  sclera: 55,
} as const;

/**
 * An OCT-like macular cube: `frames` B-scans, each `width` A-scans by `height` pixels of depth.
 * Layer thicknesses follow a normal macula: inner layers thin to nothing in the foveal pit, the
 * outer nuclear layer thickens there, and the nerve fibre layer is thicker nasally.
 */
export function octVolume(opts: OctOptions): OctVolume {
  const width = opts.width ?? 320;
  const height = opts.height ?? 200;
  const n = opts.frames ?? 16;
  const random = rng(subSeed(opts.seed, `oct-${opts.eye}`));
  const mirror = opts.eye === 'OS' ? -1 : 1;
  const tilt = (random() - 0.5) * 0.08;
  const pitDepth = 0.75 + random() * 0.2;
  const druse: Array<[number, number, number]> = []; // [x, slice position, radius] in normalized units
  for (let i = 0; i < (opts.lesions?.drusen ?? 0); i++) {
    druse.push([(random() - 0.5) * 1.2, (random() - 0.5) * 1.2, 0.05 + random() * 0.07]);
  }
  const speckle = rng(subSeed(opts.seed, `speckle-${opts.eye}`));
  const field = speckleTable();
  const fieldMask = (1 << SPECKLE_BITS) - 1;
  const frames: Uint8Array[] = [];
  const bounds = new Float32Array(13);
  const values = [BANDS.vitreous, BANDS.rnfl, BANDS.gcl, BANDS.ipl, BANDS.inl, BANDS.opl, BANDS.onl, BANDS.elm, BANDS.myoid, BANDS.ez, BANDS.iz, BANDS.rpe, BANDS.choroid, BANDS.sclera];

  for (let f = 0; f < n; f++) {
    const yn = n === 1 ? 0 : (f / (n - 1)) * 2 - 1;
    const frame = new Uint8Array(width * height);
    const offset = (speckle() * (1 << SPECKLE_BITS)) | 0;
    const stride = ((speckle() * 1024) | 0) * 2 + 1;
    for (let x = 0; x < width; x++) {
      const xn = (x / (width - 1)) * 2 - 1;
      const r2 = xn * xn + yn * yn;
      const pit = Math.exp(-r2 / 0.045) * pitDepth;
      // Bruch's membrane: a gentle bowl (the eye's curvature) plus a tilt.
      let rpe = height * (0.62 + 0.07 * xn * xn + tilt * xn);
      let lift = 0;
      for (const [dx, dy, dr] of druse) {
        const e = ((xn - dx) ** 2 + (yn - dy) ** 2) / (dr * dr);
        if (e < 1) lift = Math.max(lift, Math.sqrt(1 - e) * height * 0.035);
      }
      const h = height / 200; // thicknesses below are for a 200 px deep scan
      const nasal = mirror * xn; // > 0 nasally
      const rnfl = (6 + 10 * Math.max(0, nasal) + 3 * Math.abs(yn)) * h * (1 - 0.95 * pit);
      const gcl = 11 * h * (1 - 0.97 * pit) * (0.6 + 0.5 * Math.exp(-r2 / 0.3));
      const ipl = 8 * h * (1 - 0.95 * pit);
      const inl = 8 * h * (1 - 0.9 * pit);
      const opl = 5 * h * (1 - 0.6 * pit);
      const onl = (17 + 9 * pit) * h;
      // Depths from the top, outermost first, each band above the previous boundary.
      bounds[12] = rpe + 30 * h; // choroid/sclera
      bounds[11] = rpe; // RPE/choroid (Bruch's)
      rpe -= lift;
      bounds[10] = rpe - 5 * h; // IZ/RPE
      bounds[9] = bounds[10] - 3 * h; // EZ/IZ
      bounds[8] = bounds[9] - 3 * h; // myoid/EZ
      bounds[7] = bounds[8] - 3 * h; // ELM/myoid
      bounds[6] = bounds[7] - 1.5 * h; // ONL/ELM
      bounds[5] = bounds[6] - onl; // OPL/ONL
      bounds[4] = bounds[5] - opl; // INL/OPL
      bounds[3] = bounds[4] - inl; // IPL/INL
      bounds[2] = bounds[3] - ipl; // GCL/IPL
      bounds[1] = bounds[2] - gcl; // RNFL/GCL
      bounds[0] = bounds[1] - rnfl; // ILM
      let band = 0;
      for (let z = 0; z < height; z++) {
        while (band < 13 && z >= bounds[band]) band++;
        let v = values[band];
        if (band === 12) v *= 1 - (z - bounds[11]) / (40 * h); // choroid fades with depth
        else if (band === 13) v *= Math.max(0.2, 1 - (z - bounds[12]) / (60 * h));
        const s = field[(offset + (z * width + x) * stride) & fieldMask];
        frame[z * width + x] = clamp255(v * s + 3);
      }
    }
    frames.push(frame);
  }
  return { width, height, frames };
}

/** PNG bytes for an RGBA or grey image. Filter 'sub' and zlib level 3: quick, still well compressed. */
export function encodePng(image: RgbaImage | GreyImage): Buffer {
  const grey = image.data.length === image.width * image.height;
  const png = new PNG({ width: image.width, height: image.height, colorType: grey ? 0 : 6, inputColorType: grey ? 0 : 6, inputHasAlpha: !grey, bitDepth: 8 });
  png.data = Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength);
  return PNG.sync.write(png, { colorType: grey ? 0 : 6, inputColorType: grey ? 0 : 6, inputHasAlpha: !grey, filterType: 1, deflateLevel: 3 });
}

/** RGB bytes without alpha (3 a pixel), as DICOM photos store colour (Samples per Pixel 3, RGB). */
export function toRgb(image: RgbaImage): Uint8Array {
  const n = image.width * image.height;
  const out = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    out[i * 3] = image.data[i * 4];
    out[i * 3 + 1] = image.data[i * 4 + 1];
    out[i * 3 + 2] = image.data[i * 4 + 2];
  }
  return out;
}

/** One slice of a volume as a GreyImage (for PNG export or a DICOM frame). */
export function octFrame(volume: OctVolume, index: number): GreyImage {
  return { width: volume.width, height: volume.height, data: volume.frames[index] };
}
