/**
 * What a reader scans to enrol their authenticator app: the `otpauth://` key URI (the de facto
 * format from Google Authenticator's wiki, read by every common app) and a QR code of it as SVG.
 * The QR encoding is lean-qr (pinned; ≈3.5 KB gzipped in the bundle).
 */
import { correction, generate } from 'lean-qr';

export interface OtpauthParams {
  /** Shown as the account's provider in the app, e.g. "ReadRoom (Study ABC)". */
  issuer: string;
  /** The user's sign-in name. */
  account: string;
  /** Base32 secret as AssociateSoftwareToken returned it. */
  secret: string;
}

/** `otpauth://totp/Issuer:account?secret=…&issuer=…&algorithm=SHA1&digits=6&period=30`. */
export function otpauthUri(p: OtpauthParams): string {
  if (!p.issuer || p.issuer.includes(':') || p.account.includes(':')) throw new Error('otpauth: issuer and account must be non-empty and contain no colon');
  const secret = p.secret.toUpperCase().replace(/[\s=]/g, '');
  if (!/^[A-Z2-7]+$/.test(secret)) throw new Error('otpauth: the secret is not base32');
  const label = `${encodeURIComponent(p.issuer)}:${encodeURIComponent(p.account)}`;
  return `otpauth://totp/${label}?secret=${secret}&issuer=${encodeURIComponent(p.issuer)}&algorithm=SHA1&digits=6&period=30`;
}

/** The secret in groups of four, easier to type by hand when the camera cannot be used. */
export function groupedSecret(secret: string): string {
  return secret.replace(/[\s=]/g, '').toUpperCase().replace(/(.{4})(?=.)/g, '$1 ');
}

/**
 * A QR code (error correction M or better) as a standalone SVG document: dark modules as one path,
 * a 4-module quiet zone, `shape-rendering="crispEdges"`, labelled for screen readers.
 */
export function qrSvg(text: string, label: string): string {
  const code = generate(text, { minCorrectionLevel: correction.M });
  const quiet = 4;
  const size = code.size + quiet * 2;
  let path = '';
  for (let y = 0; y < code.size; y++) {
    for (let x = 0; x < code.size; x++) if (code.get(x, y)) path += `M${x + quiet} ${y + quiet}h1v1h-1z`;
  }
  const esc = label.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${size} ${size}" role="img" aria-label="${esc}" shape-rendering="crispEdges"><rect width="${size}" height="${size}" fill="#fff"/><path fill="#000" d="${path}"/></svg>`;
}

/** The QR modules as booleans (row-major), for tests and for drawing on a canvas. */
export function qrModules(text: string): { size: number; get(x: number, y: number): boolean } {
  const code = generate(text, { minCorrectionLevel: correction.M });
  return { size: code.size, get: (x, y) => code.get(x, y) };
}
