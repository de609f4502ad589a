/**
 * A request body read from a file through a few buffers used again and again. A read stream takes
 * fresh memory for every chunk, and that memory costs more CPU than the read itself: the kernel's
 * page faults on it and the garbage collections its external size triggers (measured: a read
 * stream 1.9 s of CPU per GB, reads into one reused buffer 0.2 s; docs/benchmarks.md, "ingest").
 *
 * The SDK's Node handler sends a stream body with `body.pipe(request)`; `pipe` here writes the
 * file's chunks itself and takes a buffer back only when the request's write callback says its
 * bytes have been handed to the socket, so a buffer is never overwritten while it waits to be sent.
 * Read any other way (events, iteration), it is an ordinary stream of fresh chunks: the same bytes,
 * without the saving.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { Readable, type Writable } from 'node:stream';

/** One read's size, here and in upload.ts (the digests' buffer, the multipart source's chunks). */
export const BODY_CHUNK = 1024 * 1024;
/** A file whose size is no longer the one the folder check saw: nothing sent from it can be trusted. */
export const changedDuringRun = (file: string, detail: string): Error => new Error(`${file} ${detail}: it changed during the run; run the command again`);

/** Buffers one body writes through: enough to keep the socket busy while the next one is read. */
const POOL = 4;

export class FileBody extends Readable {
  private fh?: FileHandle;
  private position = 0;

  constructor(
    readonly file: string,
    readonly size: number,
    private readonly onBytes?: (n: number) => void,
  ) {
    super({ highWaterMark: BODY_CHUNK });
  }

  override pipe<T extends NodeJS.WritableStream>(destination: T): T {
    const dest = destination as unknown as Writable;
    this.pump(dest).catch((e: Error) => {
      this.destroy(e);
      dest.destroy(e);
    });
    return destination;
  }

  private async pump(dest: Writable): Promise<void> {
    const free = Array.from({ length: POOL }, () => Buffer.allocUnsafeSlow(BODY_CHUNK));
    let wake: (() => void) | undefined;
    let stopped = false;
    const stop = () => {
      stopped = true;
      wake?.();
    };
    dest.once('close', stop);
    dest.once('error', stop);
    this.once('close', stop);
    const fh = await open(this.file, 'r');
    try {
      for (let position = 0; position < this.size; ) {
        while (!free.length && !stopped) await new Promise<void>((r) => (wake = r));
        if (stopped) return;
        const buffer = free.pop()!;
        const { bytesRead } = await fh.read(buffer, 0, Math.min(BODY_CHUNK, this.size - position), position);
        if (stopped) return;
        if (bytesRead === 0) throw changedDuringRun(this.file, `ended after ${position} of ${this.size} bytes`);
        position += bytesRead;
        dest.write(buffer.subarray(0, bytesRead), (err) => {
          if (!err) this.counted(bytesRead);
          free.push(buffer);
          wake?.();
        });
      }
      dest.end();
    } finally {
      dest.off('close', stop);
      dest.off('error', stop);
      await fh.close();
    }
  }

  private counted(n: number) {
    this.onBytes?.(n);
  }

  override async _read(): Promise<void> {
    try {
      this.fh ??= await open(this.file, 'r');
      const want = Math.min(BODY_CHUNK, this.size - this.position);
      if (want <= 0) {
        this.push(null);
        return;
      }
      const chunk = Buffer.allocUnsafe(want);
      const { bytesRead } = await this.fh.read(chunk, 0, want, this.position);
      if (bytesRead === 0) throw changedDuringRun(this.file, `ended after ${this.position} of ${this.size} bytes`);
      this.position += bytesRead;
      this.counted(bytesRead);
      this.push(chunk.subarray(0, bytesRead));
    } catch (e) {
      this.destroy(e as Error);
    }
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    const fh = this.fh;
    this.fh = undefined;
    if (!fh) return done(error);
    fh.close().then(() => done(error), () => done(error));
  }
}
