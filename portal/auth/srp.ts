/**
 * Cognito's SRP-6a (USER_SRP_AUTH), in browser-safe TypeScript: BigInt for the group arithmetic,
 * WebCrypto for SHA-256, HMAC and HKDF. No Node module, no SDK.
 *
 * The protocol as Cognito (and amazon-cognito-identity-js / Amplify) defines it:
 * - group: the RFC 3526 3072-bit MODP prime N, generator g = 2; k = H(pad(N) | pad(g));
 * - client: random a (128 bytes), A = g^a mod N, sent as SRP_A (hex);
 * - server answers SRP_B, SALT (hex), SECRET_BLOCK (base64) and USER_ID_FOR_SRP;
 * - u = H(pad(A) | pad(B)); x = H(pad(salt) | H(poolName | userIdForSrp | ":" | password));
 *   S = (B - k * g^x)^(a + u * x) mod N;
 * - key = HKDF-SHA256(ikm = pad(S), salt = pad(u), info = "Caldera Derived Key", 16 bytes);
 * - PASSWORD_CLAIM_SIGNATURE = base64(HMAC-SHA256(key, poolName | userIdForSrp | SECRET_BLOCK
 *   bytes | TIMESTAMP)), TIMESTAMP like "Tue Sep 25 00:09:40 UTC 2018" (day not zero-padded).
 * H is SHA-256 over the bytes of its (hex) input; pad() is the shortest even-length hex with a
 * leading 00 when the top bit is set (Java BigInteger.toByteArray). poolName is the part of the
 * pool id after the underscore.
 */

/** RFC 3526 3072-bit MODP group prime (checked against its defining formula in the tests). */
export const N = BigInt(
  '0x' +
  'FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD' +
  'EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED' +
  'EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F' +
  '83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B' +
  'E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510' +
  '15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7' +
  'ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200C' +
  'BBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF',
);
export const g = 2n;

const enc = new TextEncoder();

/** Even-length hex, with 00 prepended when the first byte has its top bit set (positive numbers only). */
export function padHex(n: bigint): string {
  if (n < 0n) throw new RangeError('padHex: negative');
  let h = n.toString(16);
  if (h.length % 2) h = `0${h}`;
  return /^[89a-f]/.test(h) ? `00${h}` : h;
}

export function hexToBytes(hex: string): Uint8Array {
  if (hex.length % 2 || /[^0-9a-f]/i.test(hex)) throw new RangeError('hexToBytes: not hex');
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function bytesToHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

/** Joins a few short byte strings (at most a few hundred bytes here). */
const join = (...parts: Uint8Array[]): Uint8Array => Uint8Array.from(parts.flatMap((p) => [...p]));

const buf = (b: Uint8Array): ArrayBuffer => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;

async function sha256(data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', buf(data)));
}

export async function hmacSha256(key: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
  const k = await crypto.subtle.importKey('raw', buf(key), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await crypto.subtle.sign('HMAC', k, buf(data)));
}

/** H over the bytes a hex string encodes, as a 64-digit hex string. */
async function hashHex(hex: string): Promise<string> {
  return bytesToHex(await sha256(hexToBytes(hex)));
}

export function modPow(base: bigint, exp: bigint, mod: bigint): bigint {
  let result = 1n;
  let b = ((base % mod) + mod) % mod;
  let e = exp;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % mod;
    b = (b * b) % mod;
    e >>= 1n;
  }
  return result;
}

let kCache: Promise<bigint> | undefined;
/** k = H(pad(N) | pad(g)). */
export function multiplier(): Promise<bigint> {
  kCache ??= hashHex(padHex(N) + padHex(g)).then((h) => BigInt(`0x${h}`));
  return kCache;
}

export interface SrpSession {
  /** The client's secret exponent; never leaves the page. */
  readonly a: bigint;
  /** SRP_A for InitiateAuth, hex. */
  readonly srpA: string;
}

/** Draws a (128 random bytes) until A = g^a mod N is non-zero mod N (SRP-6a's check). */
export function startSrp(randomBytes: (n: number) => Uint8Array = (n) => crypto.getRandomValues(new Uint8Array(n))): SrpSession {
  for (;;) {
    const a = BigInt(`0x${bytesToHex(randomBytes(128))}`) % N;
    const A = modPow(g, a, N);
    if (A % N !== 0n && a !== 0n) return { a, srpA: A.toString(16) };
  }
}

/** Cognito's TIMESTAMP: "ddd MMM D HH:mm:ss UTC YYYY", in UTC, English names, day not padded. */
export function cognitoTimestamp(d: Date): string {
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const two = (n: number) => String(n).padStart(2, '0');
  return `${days[d.getUTCDay()]} ${months[d.getUTCMonth()]} ${d.getUTCDate()} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} UTC ${d.getUTCFullYear()}`;
}

function base64ToBytes(b64: string): Uint8Array {
  const bin = atob(b64.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

function bytesToBase64(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

/** The 16-byte key both sides derive from the shared secret S. */
export async function passwordAuthenticationKey(p: { session: SrpSession; poolId: string; userIdForSrp: string; password: string; srpB: string; salt: string }): Promise<Uint8Array> {
  const B = BigInt(`0x${p.srpB}`);
  if (B % N === 0n) throw new Error('SRP: the server sent B = 0 mod N');
  const A = BigInt(`0x${p.session.srpA}`);
  const u = BigInt(`0x${await hashHex(padHex(A) + padHex(B))}`);
  if (u === 0n) throw new Error('SRP: u = 0');
  const poolName = p.poolId.split('_')[1] ?? p.poolId;
  const inner = bytesToHex(await sha256(enc.encode(`${poolName}${p.userIdForSrp}:${p.password}`)));
  const x = BigInt(`0x${await hashHex(padHex(BigInt(`0x${p.salt}`)) + inner)}`);
  const k = await multiplier();
  const S = modPow(B - k * modPow(g, x, N), p.session.a + u * x, N);
  // HKDF-SHA256 with one output block: PRK = HMAC(salt, ikm); OKM = HMAC(PRK, info | 0x01)[0..16].
  const prk = await hmacSha256(hexToBytes(padHex(u)), hexToBytes(padHex(S)));
  const okm = await hmacSha256(prk, join(enc.encode('Caldera Derived Key'), new Uint8Array([1])));
  return okm.slice(0, 16);
}

export interface PasswordVerifierResponses {
  PASSWORD_CLAIM_SIGNATURE: string;
  PASSWORD_CLAIM_SECRET_BLOCK: string;
  TIMESTAMP: string;
}

/**
 * The PASSWORD_VERIFIER challenge responses (add USERNAME, and SECRET_HASH if the client has a
 * secret). `challenge` is the ChallengeParameters Cognito returned for USER_SRP_AUTH.
 */
export async function passwordVerifier(p: {
  session: SrpSession;
  poolId: string;
  password: string;
  challenge: { SRP_B: string; SALT: string; SECRET_BLOCK: string; USER_ID_FOR_SRP: string };
  now?: Date;
}): Promise<PasswordVerifierResponses> {
  const key = await passwordAuthenticationKey({ session: p.session, poolId: p.poolId, userIdForSrp: p.challenge.USER_ID_FOR_SRP, password: p.password, srpB: p.challenge.SRP_B, salt: p.challenge.SALT });
  const timestamp = cognitoTimestamp(p.now ?? new Date());
  const poolName = p.poolId.split('_')[1] ?? p.poolId;
  const message = join(enc.encode(poolName), enc.encode(p.challenge.USER_ID_FOR_SRP), base64ToBytes(p.challenge.SECRET_BLOCK), enc.encode(timestamp));
  return {
    PASSWORD_CLAIM_SIGNATURE: bytesToBase64(await hmacSha256(key, message)),
    PASSWORD_CLAIM_SECRET_BLOCK: p.challenge.SECRET_BLOCK,
    TIMESTAMP: timestamp,
  };
}
