/**
 * CRC-64/NVME of a buffer (the SDK's pure-JS implementation) and the combination of two CRCs of
 * adjacent pieces into the CRC of both (zlib's crc32_combine, carried to 64 bits: the CRC of A‖B
 * from crc(A), crc(B) and |B|). Combining lets each part be hashed once, as it is sent, and the
 * whole-object value still be known at the end without a second pass over the file.
 */
import { Crc64Nvme } from '@aws-sdk/checksums/crc';

/** Reflected CRC-64/NVME polynomial. */
const POLY = 0x9a6c9329ac4bc9b5n;
const MASK = (1n << 64n) - 1n;

export async function crc64(data: Uint8Array): Promise<bigint> {
  const c = new Crc64Nvme();
  c.update(data);
  return BigInt(`0x${Buffer.from(await c.digest()).toString('hex')}`);
}

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
