/**
 * TOTP (RFC 6238) over HOTP (RFC 4226) with WebCrypto, as Cognito's software tokens use it:
 * HMAC-SHA-1, 6 digits, 30-second steps, the secret in base32 (RFC 4648, padding optional, any
 * case). Browser-safe; also runs in Node 20+ (globalThis.crypto).
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function base32Decode(input: string): Uint8Array {
  const clean = input.toUpperCase().replace(/[\s=]/g, '');
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const ch of clean) {
    const v = ALPHABET.indexOf(ch);
    if (v < 0) throw new Error(`base32: '${ch}' is not a base32 character`);
    value = (value << 5) | v;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Uint8Array.from(out);
}

export function base32Encode(bytes: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

export type TotpAlgorithm = 'SHA-1' | 'SHA-256' | 'SHA-512';

/** HOTP(K, C): dynamic truncation of HMAC(K, C as 8 big-endian bytes), `digits` decimal digits. */
export async function hotp(key: Uint8Array, counter: number, digits = 6, algorithm: TotpAlgorithm = 'SHA-1'): Promise<string> {
  const msg = new Uint8Array(8);
  const view = new DataView(msg.buffer);
  view.setUint32(0, Math.floor(counter / 2 ** 32));
  view.setUint32(4, counter >>> 0);
  const k = await crypto.subtle.importKey('raw', key.buffer.slice(key.byteOffset, key.byteOffset + key.byteLength) as ArrayBuffer, { name: 'HMAC', hash: algorithm }, false, ['sign']);
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', k, msg));
  const offset = mac[mac.length - 1] & 0x0f;
  const code = (((mac[offset] & 0x7f) << 24) | (mac[offset + 1] << 16) | (mac[offset + 2] << 8) | mac[offset + 3]) % 10 ** digits;
  return String(code).padStart(digits, '0');
}

export interface TotpOptions {
  /** @default 30 */
  stepSeconds?: number;
  /** @default 6 */
  digits?: number;
  /** @default 'SHA-1' */
  algorithm?: TotpAlgorithm;
}

/** The code for the time step containing `atMs` (epoch milliseconds). */
export async function totp(secretBase32: string, atMs: number = Date.now(), opts: TotpOptions = {}): Promise<string> {
  const step = opts.stepSeconds ?? 30;
  return hotp(base32Decode(secretBase32), Math.floor(atMs / 1000 / step), opts.digits ?? 6, opts.algorithm ?? 'SHA-1');
}

/** Seconds until the code for `atMs` stops being current (for a countdown beside it). */
export function secondsLeft(atMs: number = Date.now(), stepSeconds = 30): number {
  return stepSeconds - (Math.floor(atMs / 1000) % stepSeconds);
}
