/**
 * One object up, with a whole-object CRC64NVME checksum: @aws-sdk/lib-storage splits the file into
 * parts and sends them in parallel (each part with its own CRC64NVME, computed by the SDK); the file
 * is hashed as it is read (CRC64NVME for S3, SHA-256 for the manifest), and the whole-object value
 * goes on the request that completes the object (PutObject, or CompleteMultipartUpload with
 * checksum type FULL_OBJECT), so S3 refuses an object whose bytes differ from what was read here.
 * lib-storage copies its params onto every part too, so the value cannot sit in the params: a thin
 * wrapper around the client adds it to those two requests only. Whatever S3 says it stored is
 * compared with the local value before the object counts as uploaded. A store that reports no
 * CRC64NVME (or something else in its place: moto 5.2 answers a multipart upload with a 32-bit
 * value) leaves the object unverified, and the report says so.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Transform, type TransformCallback } from 'node:stream';
import { Crc64Nvme } from '@aws-sdk/checksums/crc';
import { CompleteMultipartUploadCommand, CreateMultipartUploadCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';

export const DEFAULT_PART_SIZE = 16 * 1024 * 1024;
export const DEFAULT_QUEUE_SIZE = 4;

export interface Digests {
  sha256: string;
  /** Base64, as S3 writes it. */
  crc64: string;
}

/** Hashes what flows through it; `digests` settles when the stream ends. */
export class HashingStream extends Transform {
  private readonly sha = createHash('sha256');
  private readonly crc = new Crc64Nvme();
  private settle!: (d: Digests) => void;
  readonly digests: Promise<Digests> = new Promise((r) => (this.settle = r));
  constructor(private readonly onBytes?: (n: number) => void) {
    super();
  }
  _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback) {
    this.sha.update(chunk);
    this.crc.update(chunk);
    this.onBytes?.(chunk.length);
    done(null, chunk);
  }
  _flush(done: TransformCallback) {
    this.crc
      .digest()
      .then((crc) => {
        this.settle({ sha256: this.sha.digest('hex'), crc64: Buffer.from(crc).toString('base64') });
        done();
      })
      .catch(done);
  }
}

/** Digests of a whole file, read once (tests and resume checks). */
export async function fileDigests(file: string): Promise<Digests> {
  const h = new HashingStream();
  const done = h.digests;
  await new Promise<void>((resolve, reject) => {
    createReadStream(file, { highWaterMark: 1024 * 1024 }).on('error', reject).pipe(h).on('error', reject).on('finish', resolve).resume();
    h.resume();
  });
  return done;
}

export class ChecksumMismatchError extends Error {
  constructor(
    readonly key: string,
    readonly local: string,
    readonly stored: string | undefined,
  ) {
    super(`${key}: S3 stored CRC64NVME ${stored ?? '(none)'}, the file read here has ${local}; the upload was corrupted on the way: run the command again to upload it anew`);
    this.name = 'ChecksumMismatchError';
  }
}

/**
 * The client lib-storage talks to: the same client, with the whole-object checksum added to the
 * request that completes the object and FULL_OBJECT asked for on multipart uploads.
 */
export function withWholeObjectChecksum(client: S3Client, crc64: Promise<string>): S3Client {
  return new Proxy(client, {
    get(target, prop, receiver) {
      if (prop !== 'send') return Reflect.get(target, prop, receiver);
      return async (command: { input: Record<string, unknown> }, ...rest: unknown[]) => {
        if (command instanceof CreateMultipartUploadCommand) command.input.ChecksumType = 'FULL_OBJECT';
        if (command instanceof PutObjectCommand || command instanceof CompleteMultipartUploadCommand) {
          command.input.ChecksumCRC64NVME = await crc64;
          if (command instanceof CompleteMultipartUploadCommand) command.input.ChecksumType = 'FULL_OBJECT';
        }
        return (target.send as (...a: unknown[]) => Promise<unknown>)(command, ...rest);
      };
    },
  });
}

export interface UploadFileInput {
  client: S3Client;
  bucket: string;
  key: string;
  file: string;
  size: number;
  contentType?: string;
  partSize?: number;
  queueSize?: number;
  signal?: AbortSignal;
  onBytes?: (n: number) => void;
}

export interface UploadedObject extends Digests {
  versionId?: string;
  /** The CRC64NVME the store reported for the object (what a resume compares against). */
  stored?: string;
  /** False when the store reported no CRC64NVME to compare. */
  verified: boolean;
}

/** A base64 CRC64NVME is 8 bytes: 12 characters ending in one '='. */
export const isCrc64 = (v: string | undefined): v is string => !!v && /^[A-Za-z0-9+/]{11}=$/.test(v);

/** Compares what the store holds with what was read here; throws on a mismatch. */
export function verifyStored(key: string, local: string, stored: string | undefined): boolean {
  if (!isCrc64(stored)) return false;
  if (stored !== local) throw new ChecksumMismatchError(key, local, stored);
  return true;
}

export async function uploadFile(input: UploadFileInput): Promise<UploadedObject> {
  if (input.signal?.aborted) throw Object.assign(new Error('Upload aborted.'), { name: 'AbortError' });
  const hashing = new HashingStream(input.onBytes);
  const source = createReadStream(input.file, { highWaterMark: 1024 * 1024 });
  source.on('error', (e) => hashing.destroy(e));
  source.pipe(hashing);
  const abortController = new AbortController();
  const onAbort = () => abortController.abort();
  input.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const upload = new Upload({
      client: withWholeObjectChecksum(
        input.client,
        hashing.digests.then((d) => d.crc64),
      ),
      params: { Bucket: input.bucket, Key: input.key, Body: hashing, ContentLength: input.size, ChecksumAlgorithm: 'CRC64NVME', ContentType: input.contentType ?? 'application/octet-stream' },
      partSize: input.partSize ?? DEFAULT_PART_SIZE,
      queueSize: input.queueSize ?? DEFAULT_QUEUE_SIZE,
      leavePartsOnError: false,
      abortController,
    });
    const out = (await upload.done()) as { ChecksumCRC64NVME?: string; VersionId?: string };
    const digests = await hashing.digests;
    const stored = out.ChecksumCRC64NVME ?? (await storedChecksum(input.client, input.bucket, input.key));
    const verified = verifyStored(input.key, digests.crc64, stored);
    return { ...digests, versionId: out.VersionId, stored, verified };
  } finally {
    input.signal?.removeEventListener('abort', onAbort);
    source.destroy();
  }
}

/** The CRC64NVME S3 holds for an object; undefined when it has none or the object is gone. */
export async function storedChecksum(client: S3Client, bucket: string, key: string): Promise<string | undefined> {
  try {
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: 'ENABLED' }));
    return head.ChecksumCRC64NVME;
  } catch (e) {
    if ((e as Error).name === 'NotFound' || (e as Error).name === 'NoSuchKey') return undefined;
    throw e;
  }
}

/** Uploads a small body (the manifest) with its CRC64NVME. */
export async function putSmall(client: S3Client, bucket: string, key: string, body: Buffer, contentType: string): Promise<UploadedObject> {
  const crc = new Crc64Nvme();
  crc.update(body);
  const crc64 = Buffer.from(await crc.digest()).toString('base64');
  const out = await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType, ChecksumAlgorithm: 'CRC64NVME', ChecksumCRC64NVME: crc64 }));
  const stored = out.ChecksumCRC64NVME ?? (await storedChecksum(client, bucket, key));
  const verified = verifyStored(key, crc64, stored);
  return { sha256: createHash('sha256').update(body).digest('hex'), crc64, stored, verified, versionId: out.VersionId };
}

/**
 * A budget of bytes in flight: an upload holds up to (queue size + 1) parts in memory, so the
 * number of objects moving at once is bounded by memory as well as by count.
 */
export class ByteBudget {
  private used = 0;
  private waiting: Array<() => void> = [];
  constructor(readonly max: number) {}
  async acquire(n: number): Promise<() => void> {
    // One oversized reservation is let through alone, so a big part size never deadlocks.
    while (this.used > 0 && this.used + n > this.max) await new Promise<void>((r) => this.waiting.push(r));
    this.used += n;
    return () => {
      this.used -= n;
      this.waiting.splice(0).forEach((r) => r());
    };
  }
}

/** Bytes an upload of `size` may hold in memory at once. */
export const memoryFor = (size: number, partSize = DEFAULT_PART_SIZE, queueSize = DEFAULT_QUEUE_SIZE) => Math.min(size, partSize * (queueSize + 1));
