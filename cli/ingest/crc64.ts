/**
 * CRC-64/NVME of a buffer and the combination of two CRCs of adjacent pieces into the CRC of both
 * (zlib's crc32_combine, carried to 64 bits: the CRC of A‖B from crc(A), crc(B) and |B|).
 * Combining lets each part be hashed once, as it is sent, and the whole-object value still be known
 * at the end without a second pass over the file.
 *
 * The CRC itself is table-driven, 16 bytes per step (slicing-by-16). It runs in WebAssembly
 * (crc64-wasm.ts, the same tables on 64-bit registers): measured 2-3× the speed of the JavaScript
 * below, which stays as the fallback where WebAssembly is off (node --jitless) and as the
 * reference the tests hold the WebAssembly to. The JavaScript works on 32-bit halves: 1.6× the
 * SDK's pure-JS Crc64Nvme (slicing-by-8). The CRC was the largest part of the CLI's CPU while
 * uploading (docs/benchmarks.md, "ingest"). Tests compare both with the SDK's.
 */
import { instantiateCrc64 } from './crc64-wasm';

/** Reflected CRC-64/NVME polynomial. */
const POLY = 0x9a6c9329ac4bc9b5n;
const MASK = (1n << 64n) - 1n;

const SLICES = 16;
/** Low and high 32 bits of the 16 tables: LO[t * 256 + b] is table t's entry for byte b. */
const LO = new Int32Array(256 * SLICES);
const HI = new Int32Array(256 * SLICES);
for (let b = 0; b < 256; b++) {
  let c = BigInt(b);
  for (let k = 0; k < 8; k++) c = c & 1n ? (c >> 1n) ^ POLY : c >> 1n;
  LO[b] = Number(c & 0xffffffffn) | 0;
  HI[b] = Number(c >> 32n) | 0;
}
for (let t = 1; t < SLICES; t++) {
  for (let b = 0; b < 256; b++) {
    // Table t is table t-1 advanced by one more zero byte: c >> 8 ^ T0[c & 0xff].
    const lo = LO[(t - 1) * 256 + b];
    const hi = HI[(t - 1) * 256 + b];
    LO[t * 256 + b] = ((lo >>> 8) | (hi << 24)) ^ LO[lo & 0xff];
    HI[t * 256 + b] = (hi >>> 8) ^ HI[lo & 0xff];
  }
}

/** The register after `d` (from `register`), in JavaScript on 32-bit halves. */
function updateJs(register: bigint, d: Uint8Array): bigint {
  let lo = Number(register & 0xffffffffn) | 0;
  let hi = Number(register >> 32n) | 0;
  let i = 0;
  const n = d.length;
  for (; i + 16 <= n; i += 16) {
    const a = lo ^ (d[i] | (d[i + 1] << 8) | (d[i + 2] << 16) | (d[i + 3] << 24));
    const b = hi ^ (d[i + 4] | (d[i + 5] << 8) | (d[i + 6] << 16) | (d[i + 7] << 24));
    const j0 = 3840 + (a & 255), j1 = 3584 + ((a >>> 8) & 255), j2 = 3328 + ((a >>> 16) & 255), j3 = 3072 + (a >>> 24);
    const j4 = 2816 + (b & 255), j5 = 2560 + ((b >>> 8) & 255), j6 = 2304 + ((b >>> 16) & 255), j7 = 2048 + (b >>> 24);
    const k0 = 1792 + d[i + 8], k1 = 1536 + d[i + 9], k2 = 1280 + d[i + 10], k3 = 1024 + d[i + 11];
    const k4 = 768 + d[i + 12], k5 = 512 + d[i + 13], k6 = 256 + d[i + 14], k7 = d[i + 15];
    lo = LO[j0] ^ LO[j1] ^ LO[j2] ^ LO[j3] ^ LO[j4] ^ LO[j5] ^ LO[j6] ^ LO[j7] ^ LO[k0] ^ LO[k1] ^ LO[k2] ^ LO[k3] ^ LO[k4] ^ LO[k5] ^ LO[k6] ^ LO[k7];
    hi = HI[j0] ^ HI[j1] ^ HI[j2] ^ HI[j3] ^ HI[j4] ^ HI[j5] ^ HI[j6] ^ HI[j7] ^ HI[k0] ^ HI[k1] ^ HI[k2] ^ HI[k3] ^ HI[k4] ^ HI[k5] ^ HI[k6] ^ HI[k7];
  }
  for (; i < n; i++) {
    const x = (lo ^ d[i]) & 255;
    lo = ((lo >>> 8) | (hi << 24)) ^ LO[x];
    hi = (hi >>> 8) ^ HI[x];
  }
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

const wasm = instantiateCrc64((i) => (BigInt(HI[i] >>> 0) << 32n) | BigInt(LO[i] >>> 0));

/** Which implementation runs: WebAssembly where available; JavaScript otherwise (and in tests). */
export type Crc64Engine = 'wasm' | 'js';
export const CRC64_ENGINE: Crc64Engine = wasm ? 'wasm' : 'js';

/** An incremental CRC-64/NVME (init and xor-out all ones, reflected). */
export class Crc64 {
  private register = MASK;
  constructor(private readonly engine: Crc64Engine = CRC64_ENGINE) {
    if (engine === 'wasm' && !wasm) throw new Error('Crc64: WebAssembly is not available in this Node (--jitless?)');
  }

  update(d: Uint8Array): this {
    this.register = this.engine === 'wasm' ? wasm!.update(this.register, d) : updateJs(this.register, d);
    return this;
  }

  value(): bigint {
    return this.register ^ MASK;
  }

  base64(): string {
    return crc64ToBase64(this.value());
  }
}

export const crc64 = (data: Uint8Array): bigint => new Crc64().update(data).value();

export const crc64ToBase64 = (v: bigint) => Buffer.from(v.toString(16).padStart(16, '0'), 'hex').toString('base64');

function times(mat: bigint[], vec: bigint): bigint {
  let sum = 0n;
  for (let i = 0; vec !== 0n; i++, vec >>= 1n) if (vec & 1n) sum ^= mat[i];
  return sum;
}

function square(out: bigint[], mat: bigint[]) {
  for (let n = 0; n < 64; n++) out[n] = times(mat, mat[n]);
}

function multiply(a: bigint[], b: bigint[]): bigint[] {
  // (a ∘ b): apply b, then a.
  return b.map((col) => times(a, col));
}

const operators = new Map<number, bigint[]>();

/** The linear operator that appends `length` zero bytes to a CRC (cached: parts share a length). */
function zeros(length: number): bigint[] {
  const cached = operators.get(length);
  if (cached) return cached;
  const odd: bigint[] = new Array(64);
  const even: bigint[] = new Array(64);
  odd[0] = POLY; // the operator for one zero bit
  for (let n = 1, row = 1n; n < 64; n++, row <<= 1n) odd[n] = row;
  square(even, odd); // two zero bits
  square(odd, even); // four zero bits
  let result: bigint[] | undefined;
  let len = BigInt(length);
  // One squaring per bit of the length (in bytes), composing the powers whose bit is set.
  do {
    square(even, odd);
    if (len & 1n) result = result ? multiply(even, result) : [...even];
    len >>= 1n;
    if (len === 0n) break;
    square(odd, even);
    if (len & 1n) result = result ? multiply(odd, result) : [...odd];
    len >>= 1n;
  } while (len !== 0n);
  if (operators.size > 64) operators.clear();
  operators.set(length, result!);
  return result!;
}

/** crc(A‖B) from crc(A), crc(B) and the length of B in bytes. */
export function crc64Combine(crcA: bigint, crcB: bigint, lengthB: number): bigint {
  if (lengthB <= 0) return crcA;
  return (times(zeros(lengthB), crcA) ^ crcB) & MASK;
}
