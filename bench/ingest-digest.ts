/**
 * `npm run bench ingest-digest`: the CPU `readroom ingest` spends on a file before and while it
 * sends it, before and after the 2026-12-05 digest work, in the same process: the CRC64NVME in
 * WebAssembly against the JavaScript; the read for the digests through one reused buffer against
 * a read stream; the body's read through a few reused buffers (FileBody) against a read stream. CPU is the process's user + system time (process.cpuUsage: all threads, so the reads in
 * libuv's pool count), which load on the machine moves less than wall time. BENCH_DIGEST_MB sets
 * the file (default 256 MiB, in the page cache after the first round), BENCH_DIGEST_ROUNDS (3) the
 * rounds; the best round is printed.
 */
import { createHash } from 'node:crypto';
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Crc64 } from '../cli/ingest/crc64';
import { FileBody } from '../cli/ingest/file-body';
import { fileDigests } from '../cli/ingest/upload';

const MB = 1024 * 1024;

/** The digest read as it was before: a read stream of 1 MiB chunks, the CRC in JavaScript. */
async function digestsBefore(file: string) {
  const sha = createHash('sha256');
  const crc = new Crc64('js');
  for await (const chunk of createReadStream(file, { highWaterMark: MB })) {
    sha.update(chunk as Buffer);
    crc.update(chunk as Buffer);
  }
  return crc.base64();
}

/**
 * A PUT's body piped (as the SDK's handler does) into a sink that takes each chunk as a socket
 * would: done on the next turn of the event loop, the bytes dropped.
 */
function pipeBody(body: NodeJS.ReadableStream): Promise<void> {
  return new Promise((resolve, reject) => {
    const sink = new Writable({ highWaterMark: MB, write: (_chunk, _enc, done) => setImmediate(done) });
    sink.on('finish', resolve);
    sink.on('error', reject);
    body.pipe(sink);
  });
}

async function cpuOf(f: () => unknown): Promise<number> {
  const c = process.cpuUsage();
  await f();
  const d = process.cpuUsage(c);
  return (d.user + d.system) / 1e6;
}

export async function benchIngestDigest(): Promise<void> {
  const mb = Number(process.env.BENCH_DIGEST_MB ?? 256);
  const rounds = Number(process.env.BENCH_DIGEST_ROUNDS ?? 3);
  const dir = mkdtempSync(path.join(tmpdir(), 'readroom-bench-digest-'));
  try {
    const bytes = Buffer.alloc(mb * MB);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31 + (i >> 9)) & 0xff;
    const file = path.join(dir, 'volume.dcm');
    writeFileSync(file, bytes);
    const cases: Array<[string, () => unknown]> = [
      ['CRC64NVME, JavaScript (before)', () => new Crc64('js').update(bytes)],
      ['CRC64NVME, WebAssembly (now)', () => new Crc64('wasm').update(bytes)],
      ['SHA-256 (node:crypto)', () => createHash('sha256').update(bytes).digest()],
      ['file digests: read stream + JS CRC (before)', () => digestsBefore(file)],
      ['file digests: reused buffer + WASM CRC (now)', () => fileDigests(file)],
      ['the body: a read stream piped (before)', () => pipeBody(createReadStream(file, { highWaterMark: MB }))],
      ['the body: FileBody piped, buffers used again (now)', () => pipeBody(new FileBody(file, bytes.length))],
    ];
    const best = new Map<string, number>();
    for (let r = 0; r < rounds; r++) {
      for (const [name, f] of cases) best.set(name, Math.min(best.get(name) ?? Infinity, await cpuOf(f)));
    }
    console.log(`${mb} MiB in memory / in the page cache; best of ${rounds} rounds; CPU seconds (user + system, all threads)`);
    for (const [name] of cases) {
      const s = best.get(name)!;
      console.log(`${name.padEnd(52)} ${s.toFixed(3)} s  ${(mb / s).toFixed(0).padStart(5)} MiB/s of CPU`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
