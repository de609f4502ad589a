/**
 * CRC-64/NVME in WebAssembly: the same table-driven slicing-by-16 as crc64.ts's JavaScript, on
 * 64-bit registers instead of pairs of 32-bit halves. Measured 2-3× the JavaScript's speed
 * (docs/benchmarks.md, "ingest"); the CRC was the largest share of the CLI's CPU while uploading.
 *
 * The module is written below as its instructions, with names, and assembled into bytes when this
 * file loads (a few hundred bytes, well under a millisecond): no binary and no build step in the
 * repo, and nothing to install. The format is WebAssembly 1.0 (MVP) plus i64 parameters, which
 * Node 20 passes as BigInt. Tests check the module against the check value, the JavaScript
 * implementation and the SDK's on random inputs.
 *
 * Memory layout (17 pages of 64 KiB): 16 tables of 256 little-endian i64 entries at 0 (table t,
 * the CRC of byte b followed by t zero bytes, at t × 2048), then the input window at INPUT.
 */

/** Opcodes used below (WebAssembly core specification, section 5.4). */
const OP = {
  block: 0x02, loop: 0x03, br: 0x0c, brIf: 0x0d, end: 0x0b,
  localGet: 0x20, localSet: 0x21,
  i64Load: 0x29, i64Load8U: 0x31,
  i32Const: 0x41, i64Const: 0x42,
  i32Eqz: 0x45, i32LtU: 0x49,
  i32Add: 0x6a, i32Sub: 0x6b, i32And: 0x71, i32Shl: 0x74,
  i64Xor: 0x85, i64ShrU: 0x88, i32WrapI64: 0xa7,
} as const;
const VOID_BLOCK = 0x40;
const I32 = 0x7f;
const I64 = 0x7e;

const uleb = (n: number): number[] => {
  const out: number[] = [];
  do {
    const b = n & 0x7f;
    n >>>= 7;
    out.push(n ? b | 0x80 : b);
  } while (n);
  return out;
};
/** Signed LEB128, for the constants (all small and positive here, but the encoding is signed). */
const sleb = (n: number): number[] => {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && !(b & 0x40)) || (n === -1 && b & 0x40)) return [...out, b];
    out.push(b | 0x80);
  }
};
const vector = (items: number[][]) => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];
const name = (s: string) => [...uleb(s.length), ...Buffer.from(s, 'utf8')];
/** i64.load with its memory argument: 8-byte alignment (2^3) and a constant offset. */
const load64 = (offset: number) => [OP.i64Load, 3, ...uleb(offset)];

export const SLICES = 16;
const TABLE_BYTES = 256 * 8;
/** Where the bytes to hash are copied into the module's memory. */
export const INPUT = SLICES * TABLE_BYTES;
/** The input window: inputs longer than this are hashed in windows. */
export const WINDOW = 1024 * 1024;
const PAGES = Math.ceil((INPUT + WINDOW) / 65536);

// The function's locals: its parameters, then two of its own.
const CRC = 0; // i64: the CRC register (not inverted: callers start from all ones and invert at the end)
const PTR = 1; // i32: address of the next byte
const LEN = 2; // i32: bytes left
const A = 3; // i64: the register xor the next 8 bytes
const B = 4; // i64: the 8 bytes after those

/** Pushes table[t][byte k of the i64 in `local`] (k = 0 the lowest byte). */
function lookup(local: number, k: number, t: number): number[] {
  return [
    OP.localGet, local,
    ...(k ? [OP.i64Const, ...sleb(8 * k), OP.i64ShrU] : []),
    OP.i32WrapI64,
    ...(k < 7 ? [OP.i32Const, ...sleb(255), OP.i32And] : []), // the top byte needs no mask
    OP.i32Const, 3, OP.i32Shl, // × 8 bytes an entry
    ...load64(t * TABLE_BYTES),
  ];
}

/**
 * crc(register: i64, ptr: i32, len: i32) -> i64: the register after `len` bytes at `ptr`.
 * 16 bytes a step: the first 8 xored into the register, each of the 16 bytes looked up in the
 * table for its distance from the end of the step, all xored (zlib's "braided" idea on tables).
 * Then the remaining bytes one at a time.
 */
function crcBody(): number[] {
  const xorAll = (parts: number[][]) => parts.flatMap((p, i) => (i ? [...p, OP.i64Xor] : p));
  const step16 = [
    OP.block, VOID_BLOCK, OP.loop, VOID_BLOCK,
    OP.localGet, LEN, OP.i32Const, ...sleb(16), OP.i32LtU, OP.brIf, 1,
    OP.localGet, CRC, OP.localGet, PTR, ...load64(0), OP.i64Xor, OP.localSet, A,
    OP.localGet, PTR, ...load64(8), OP.localSet, B,
    ...xorAll([
      ...[0, 1, 2, 3, 4, 5, 6, 7].map((k) => lookup(A, k, 15 - k)),
      ...[0, 1, 2, 3, 4, 5, 6, 7].map((k) => lookup(B, k, 7 - k)),
    ]),
    OP.localSet, CRC,
    OP.localGet, PTR, OP.i32Const, ...sleb(16), OP.i32Add, OP.localSet, PTR,
    OP.localGet, LEN, OP.i32Const, ...sleb(16), OP.i32Sub, OP.localSet, LEN,
    OP.br, 0, OP.end, OP.end,
  ];
  // register = register >> 8 ^ table0[(register ^ byte) & 255]
  const step1 = [
    OP.block, VOID_BLOCK, OP.loop, VOID_BLOCK,
    OP.localGet, LEN, OP.i32Eqz, OP.brIf, 1,
    OP.localGet, CRC, OP.i64Const, 8, OP.i64ShrU,
    OP.localGet, CRC, OP.localGet, PTR, OP.i64Load8U, 0, 0, OP.i64Xor,
    OP.i32WrapI64, OP.i32Const, ...sleb(255), OP.i32And, OP.i32Const, 3, OP.i32Shl, ...load64(0),
    OP.i64Xor, OP.localSet, CRC,
    OP.localGet, PTR, OP.i32Const, 1, OP.i32Add, OP.localSet, PTR,
    OP.localGet, LEN, OP.i32Const, 1, OP.i32Sub, OP.localSet, LEN,
    OP.br, 0, OP.end, OP.end,
  ];
  const code = [...vector([[2, I64]]), ...step16, ...step1, OP.localGet, CRC, OP.end];
  return [...uleb(code.length), ...code];
}

/** The module's bytes: one function type, one function, one memory, both exported. */
export function crc64Module(): Uint8Array<ArrayBuffer> {
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // "\0asm", version 1
    ...section(1, vector([[0x60, ...vector([[I64], [I32], [I32]]), ...vector([[I64]])]])), // type 0: (i64, i32, i32) -> i64
    ...section(3, vector([uleb(0)])), // function 0 has type 0
    ...section(5, vector([[0x00, ...uleb(PAGES)]])), // memory 0: PAGES, no maximum
    ...section(7, vector([[...name('crc'), 0x00, 0], [...name('memory'), 0x02, 0]])), // exports
    ...section(10, vector([crcBody()])), // code
  ]);
}

export interface Crc64Wasm {
  /** The register after `data`, from `register`. */
  update(register: bigint, data: Uint8Array): bigint;
}

/**
 * The instantiated module with its tables filled in from `table` (table[t * 256 + b] as in
 * crc64.ts), or undefined where WebAssembly is not available (node --jitless).
 */
export function instantiateCrc64(table: (i: number) => bigint): Crc64Wasm | undefined {
  if (typeof WebAssembly === 'undefined') return undefined;
  const instance = new WebAssembly.Instance(new WebAssembly.Module(crc64Module()));
  const crc = instance.exports.crc as (register: bigint, ptr: number, len: number) => bigint;
  const memory = new Uint8Array((instance.exports.memory as WebAssembly.Memory).buffer);
  const tables = new BigUint64Array(memory.buffer, 0, SLICES * 256);
  for (let i = 0; i < tables.length; i++) tables[i] = table(i);
  return {
    update(register, data) {
      for (let at = 0; at < data.length; at += WINDOW) {
        const piece = data.subarray(at, at + WINDOW);
        memory.set(piece, INPUT);
        register = crc(register, INPUT, piece.length);
      }
      // i64 results arrive signed.
      return BigInt.asUintN(64, register);
    },
  };
}
