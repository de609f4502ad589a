/**
 * Pixel maths kept apart from the DOM so it can be tested in Node: window/level (the 16-bit
 * generalisation of brightness/contrast) into 8-bit RGBA, and the view transform for zoom and pan.
 */

export interface Window {
  center: number;
  width: number;
}

/**
 * Maps frame values into `out` (RGBA): grey values through the window (PS3.3 C.11.2.1.2, linear),
 * colour channels through the same window on their 0–255 scale, so one brightness/contrast control
 * serves photos and scans. `invert` flips the result (and is how MONOCHROME1 is shown).
 */
export function applyWindow(src: Float32Array | Uint8ClampedArray, colour: boolean, w: Window, invert: boolean, out: Uint8ClampedArray): void {
  const width = Math.max(1, w.width);
  const low = w.center - 0.5 - (width - 1) / 2;
  const scale = 255 / Math.max(1, width - 1);
  if (colour) {
    const lut = new Uint8ClampedArray(256);
    for (let v = 0; v < 256; v++) {
      const m = (v - low) * scale;
      lut[v] = invert ? 255 - m : m;
    }
    for (let i = 0; i < src.length; i += 4) {
      out[i] = lut[src[i]];
      out[i + 1] = lut[src[i + 1]];
      out[i + 2] = lut[src[i + 2]];
      out[i + 3] = 255;
    }
    return;
  }
  for (let i = 0, o = 0; i < src.length; i++, o += 4) {
    let m = (src[i] - low) * scale;
    m = m < 0 ? 0 : m > 255 ? 255 : m;
    if (invert) m = 255 - m;
    out[o] = out[o + 1] = out[o + 2] = m;
    out[o + 3] = 255;
  }
}

/** A window covering a grey frame's range: the default when the file names none. */
export function fullRange(values: Float32Array): Window {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (!Number.isFinite(min)) return { center: 128, width: 256 };
  return { center: (min + max + 1) / 2, width: Math.max(1, max - min + 1) };
}

export interface View {
  /** 1 = the whole image fits the pane. */
  zoom: number;
  /** Offset of the image centre from the pane centre, in image pixels. */
  panX: number;
  panY: number;
}

export const ZOOM_MIN = 0.5;
export const ZOOM_MAX = 16;

export function clampZoom(z: number): number {
  return Math.min(ZOOM_MAX, Math.max(ZOOM_MIN, z));
}

/** Scale (screen pixels per image pixel) and the screen position of the image's top-left corner. */
export function layout(view: View, image: { width: number; height: number }, pane: { width: number; height: number }) {
  const fit = Math.min(pane.width / image.width, pane.height / image.height);
  const scale = fit * view.zoom;
  return {
    scale,
    x: pane.width / 2 + (view.panX - image.width / 2) * scale,
    y: pane.height / 2 + (view.panY - image.height / 2) * scale,
  };
}

/**
 * Zooms by `factor` keeping the image point under the screen point (sx, sy) where it is: pan is
 * adjusted by how far that point moves.
 */
export function zoomAt(view: View, factor: number, image: { width: number; height: number }, pane: { width: number; height: number }, sx: number, sy: number): View {
  const before = layout(view, image, pane);
  const zoom = clampZoom(view.zoom * factor);
  const ix = (sx - before.x) / before.scale;
  const iy = (sy - before.y) / before.scale;
  const next = { ...view, zoom };
  const after = layout(next, image, pane);
  return { zoom, panX: view.panX + (sx - (after.x + ix * after.scale)) / after.scale, panY: view.panY + (sy - (after.y + iy * after.scale)) / after.scale };
}
