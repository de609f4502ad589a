/**
 * One object up, with a whole-object CRC64NVME checksum, S3 refusing an object whose bytes differ
 * from what was read here:
 * - up to the multipart threshold (1 GiB by default): one PutObject whose body streams from the
 *   file (file-body.ts), its CRC64NVME and SHA-256 taken in a read before (putFile);
 * - above it: a multipart upload through @aws-sdk/lib-storage, parts sent in parallel. A thin
 *   wrapper around the client hashes each part once, as it is sent (its CRC64NVME goes with it),
 *   combines the parts' CRCs into the whole object's (crc64.ts), and puts that value on
 *   CompleteMultipartUpload with checksum type FULL_OBJECT (lib-storage copies its params onto every
 *   part, so the value cannot sit in the params). The file's SHA-256, for the manifest, is taken as
 *   it is read.
 * Whatever S3 says it stored is compared with the local value before the object counts as
 * uploaded. A store that reports no CRC64NVME (or something else in its place: moto 5.2 answers a
 * multipart upload with a 32-bit value) leaves the object unverified, and the report says so.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Transform, type TransformCallback } from 'node:stream';
import { CompleteMultipartUploadCommand, CreateMultipartUploadCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, UploadPartCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { Crc64, crc64, crc64Combine, crc64ToBase64 } from './crc64';
import { BODY_CHUNK, changedDuringRun, FileBody } from './file-body';

export const DEFAULT_PART_SIZE = 16 * 1024 * 1024;
export const DEFAULT_QUEUE_SIZE = 4;

export interface Digests {
  sha256: string;
  /** Base64, as S3 writes it. */
  crc64: string;
}

/** Takes the SHA-256 of what flows through it; `sha256` settles when the stream ends. */
export class Sha256Stream extends Transform {
  private readonly sha = createHash('sha256');
  private settle!: (hex: string) => void;
  readonly sha256: Promise<string> = new Promise((r) => (this.settle = r));
  _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback) {
    this.sha.update(chunk);
    done(null, chunk);
  }
  _flush(done: TransformCallback) {
    this.settle(this.sha.digest('hex'));
    done();
  }
}

/**
 * SHA-256 and CRC64NVME of a whole file, read once into one buffer used again for every read:
 * measured (docs/benchmarks.md, "ingest") half the CPU of a read stream, which takes fresh memory
 * for every chunk (the kernel's page faults on it, then the garbage collector's work).
 */
export async function fileDigests(file: string): Promise<Digests> {
  return (await readDigests(file)).digests;
}

async function readDigests(file: string): Promise<{ digests: Digests; bytes: number }> {
  const sha = createHash('sha256');
  const crc = new Crc64();
  const buffer = Buffer.allocUnsafeSlow(BODY_CHUNK);
  const fh = await open(file, 'r');
  try {
    let position = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buffer, 0, BODY_CHUNK, position);
      if (bytesRead === 0) break;
      const chunk = buffer.subarray(0, bytesRead);
      sha.update(chunk);
      crc.update(chunk);
      position += bytesRead;
    }
    return { digests: { sha256: sha.digest('hex'), crc64: crc.base64() }, bytes: position };
  } finally {
    await fh.close();
  }
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
 * The client lib-storage talks to: the same client, where every part (or the single PutObject)
 * carries the CRC64NVME of its bytes, and the request that completes a multipart upload carries the
 * whole object's, combined from the parts' in part order. `whole()` gives that value afterwards.
 */
export function withWholeObjectChecksum(client: S3Client): { client: S3Client; whole: () => string | undefined } {
  const parts = new Map<number, { crc: bigint; length: number }>();
  let whole: string | undefined;
  const bytesOf = (body: unknown) => (body instanceof Uint8Array ? body : typeof body === 'string' ? Buffer.from(body) : undefined);
  const proxied = aroundSend(client, async (command, send) => {
    const input = command.input;
    if (command instanceof CreateMultipartUploadCommand) input.ChecksumType = 'FULL_OBJECT';
    if (command instanceof UploadPartCommand || command instanceof PutObjectCommand) {
      const body = bytesOf(input.Body);
      if (!body) throw new Error('uploadFile: a part arrived as a stream; lib-storage was expected to buffer parts');
      const crc = crc64(body);
      input.ChecksumCRC64NVME = crc64ToBase64(crc);
      if (command instanceof UploadPartCommand) {
        parts.set(Number(input.PartNumber), { crc, length: body.length });
        // The part's CRC64NVME, which S3 checks, covers its bytes: SigV4 need not hash them again.
        payloadHash(command as UploadPartCommand, 'UNSIGNED-PAYLOAD');
      }
      else whole = input.ChecksumCRC64NVME as string;
    }
    if (command instanceof CompleteMultipartUploadCommand) {
      const ordered = [...parts.entries()].sort((a, b) => a[0] - b[0]).map(([, p]) => p);
      const combined = ordered.slice(1).reduce((acc, p) => crc64Combine(acc, p.crc, p.length), ordered[0]?.crc ?? 0n);
      whole = crc64ToBase64(combined);
      input.ChecksumCRC64NVME = whole;
      input.ChecksumType = 'FULL_OBJECT';
    }
    return send(command);
  });
  return { client: proxied, whole: () => whole };
}

type SentCommand = { input: Record<string, unknown> };

/**
 * `client` with each `send` passed through `around` (which calls `send` to go on): a Proxy, so
 * lib-storage still gets the client's own config and middleware stack.
 */
function aroundSend(client: S3Client, around: (command: SentCommand, send: (command: SentCommand) => Promise<unknown>) => Promise<unknown>): S3Client {
  return new Proxy(client, {
    get(target, prop, receiver) {
      if (prop !== 'send') return Reflect.get(target, prop, receiver);
      const send = target.send.bind(target) as (...a: unknown[]) => Promise<unknown>;
      return (command: SentCommand, ...rest: unknown[]) => around(command, (c) => send(c, ...rest));
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
  /** Files larger than this go up in parts (default DEFAULT_MULTIPART_THRESHOLD). */
  multipartThreshold?: number;
  partSize?: number;
  queueSize?: number;
  signal?: AbortSignal;
  /**
   * Bytes S3 acknowledged: the file's once its PUT is stored and checked, each part's once S3
   * stored the part. A multipart upload that fails takes its parts back (a negative count): it is
   * aborted, and a new one starts from the first part.
   */
  onBytes?: (n: number) => void;
  /** Bytes on their way and not yet acknowledged; every attempt takes back what it reported when it ends. */
  onSending?: (n: number) => void;
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

/**
 * Files up to this size go up as one PutObject streamed from disk; larger ones as multipart
 * uploads. Measured (docs/benchmarks.md, "ingest"): a single PUT needs no part buffers and costs
 * the store far less than a FULL_OBJECT multipart upload (a 1,000 MiB volume: 19-21 s of the
 * emulator's CPU against 31-36 s in 16 MiB parts, and less than s3transfer's 25 s in 8 MiB parts).
 * On S3 too it is sound: S3 checks both its CRC64NVME and its signed SHA-256 (parts carry only a
 * CRC), it is one request instead of dozens, and parallelism comes from the files (several at once,
 * the largest first), not from parts of one. What it costs is granularity after a failure: the
 * file is sent again whole (1 GiB is about 7 minutes at 20 Mbit/s). An interrupted multipart upload
 * starts over too (the journal records whole objects), so only a failure within a run differs;
 * on a slow or unreliable line, `--multipart-threshold` lowers it.
 */
export const DEFAULT_MULTIPART_THRESHOLD = 1024 * 1024 * 1024;
/** S3's limit for one PutObject. */
export const MAX_SINGLE_PUT = 5 * 1024 * 1024 * 1024;

export async function uploadFile(input: UploadFileInput): Promise<UploadedObject> {
  if (input.signal?.aborted) throw abortError();
  const threshold = Math.min(input.multipartThreshold ?? DEFAULT_MULTIPART_THRESHOLD, MAX_SINGLE_PUT);
  return input.size <= threshold ? putFile(input) : multipartFile(input);
}

/**
 * One PutObject whose body streams from the file, so memory stays at a few stream buffers whatever
 * the size. The file is read once before, for its SHA-256 and CRC64NVME: the CRC64NVME goes in the
 * request's header (S3 refuses the object if the bytes it receives differ: BadDigest), and the
 * SHA-256 as the signed payload hash (x-amz-content-sha256), which S3 checks too, so the manifest's
 * digest is the one S3 verified. The second read comes from the page cache; both go through
 * buffers used again (fileDigests, FileBody), which halves what they cost the CLI. (Measured too:
 * reading a file up to 32 MiB once, into fresh memory, and sending it from there cost more CPU
 * than the two reads.) The SDK does not retry a request whose body is a stream, so transient
 * failures are retried here with a fresh stream.
 */
async function putFile(input: UploadFileInput): Promise<UploadedObject> {
  const { digests, bytes } = await readDigests(input.file);
  if (bytes !== input.size) throw changedDuringRun(input.file, `is ${bytes} bytes now, ${input.size} when the folder was checked`);
  const out = await withRetries(input.signal, async () => {
    const sending = inFlight(input.onSending);
    const body = new FileBody(input.file, input.size, sending.add);
    const command = new PutObjectCommand({
      Bucket: input.bucket,
      Key: input.key,
      Body: body,
      ContentLength: input.size,
      ContentType: input.contentType ?? 'application/octet-stream',
      ChecksumAlgorithm: 'CRC64NVME',
      ChecksumCRC64NVME: digests.crc64,
    });
    payloadHash(command, digests.sha256);
    try {
      return await input.client.send(command, { abortSignal: input.signal });
    } finally {
      sending.close();
      body.destroy();
    }
  });
  const stored = out.ChecksumCRC64NVME ?? (await storedChecksum(input.client, input.bucket, input.key));
  const verified = verifyStored(input.key, digests.crc64, stored);
  input.onBytes?.(input.size);
  return { ...digests, versionId: out.VersionId, stored, verified };
}

/**
 * What one attempt reports as in flight, taken back whole when it ends. Write callbacks of a failed
 * attempt can still come in after its error (S3 may answer before the body is all sent), so once
 * closed it reports nothing more: counting the bytes a request handed to the socket, and
 * subtracting them on failure, had left those late ones counted, and a retry counted them again.
 */
function inFlight(report?: (n: number) => void) {
  let shown = 0;
  let open = true;
  return {
    add: (n: number) => {
      if (!open) return;
      shown += n;
      report?.(n);
    },
    close: () => {
      open = false;
      report?.(-shown);
    },
  };
}

/**
 * The client, reporting each part in flight while it is sent, and acknowledged once S3 stored it
 * (lib-storage sends a file within one part as a PutObject: that counts the same way).
 */
function countingParts(client: S3Client, acknowledged: (n: number) => void, sending?: (n: number) => void): S3Client {
  return aroundSend(client, async (command, send) => {
    if (!(command instanceof UploadPartCommand || command instanceof PutObjectCommand)) return send(command);
    const length = (command.input.Body as Uint8Array).byteLength;
    const part = inFlight(sending);
    part.add(length);
    try {
      const out = await send(command);
      acknowledged(length);
      return out;
    } finally {
      part.close();
    }
  });
}

/**
 * The payload hash SigV4 signs (x-amz-content-sha256), set before signing: a SHA-256 already known,
 * which S3 then checks, or UNSIGNED-PAYLOAD where a checksum S3 checks covers the bytes.
 */
function payloadHash(command: PutObjectCommand | UploadPartCommand, value: string) {
  (command.middlewareStack as PutObjectCommand['middlewareStack']).add(
    (next) => async (args) => {
      const request = args.request as { headers?: Record<string, string> };
      if (request.headers) request.headers['x-amz-content-sha256'] = value;
      return next(args);
    },
    { step: 'build', name: 'payloadHash', override: true },
  );
}

/** Network failures, throttling and server errors: worth another attempt; anything else is not. */
export function isTransient(e: unknown): boolean {
  const err = e as Error & { code?: string; $metadata?: { httpStatusCode?: number }; $retryable?: unknown };
  if (err?.name === 'AbortError') return false;
  const status = err?.$metadata?.httpStatusCode;
  if (status !== undefined) return status >= 500 || status === 408 || status === 429 || !!err.$retryable;
  return TRANSIENT_CODES.has(err?.code ?? '') || err?.name === 'TimeoutError';
}
const TRANSIENT_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

/** Up to `attempts` tries of `fn` (the SDK's default count), with jittered exponential backoff. */
export async function withRetries<T>(signal: AbortSignal | undefined, fn: () => Promise<T>, attempts = 3, baseMs = 200): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (e) {
      if (i >= attempts || signal?.aborted || !isTransient(e)) throw e;
      await new Promise((r) => setTimeout(r, Math.random() * baseMs * 2 ** i));
    }
  }
}

const abortError = () => Object.assign(new Error('Upload aborted.'), { name: 'AbortError' });

/** Multipart, through lib-storage: the file in parts sent in parallel (see the file's comment). */
async function multipartFile(input: UploadFileInput): Promise<UploadedObject> {
  const hashing = new Sha256Stream();
  const source = createReadStream(input.file, { highWaterMark: BODY_CHUNK });
  source.on('error', (e) => hashing.destroy(e));
  source.pipe(hashing);
  const abortController = new AbortController();
  const onAbort = () => abortController.abort();
  input.signal?.addEventListener('abort', onAbort, { once: true });
  let acknowledged = 0;
  try {
    const checksummed = withWholeObjectChecksum(input.client);
    const counted = countingParts(checksummed.client, (n) => ((acknowledged += n), input.onBytes?.(n)), input.onSending);
    const upload = new Upload({
      client: counted,
      params: { Bucket: input.bucket, Key: input.key, Body: hashing, ContentLength: input.size, ChecksumAlgorithm: 'CRC64NVME', ContentType: input.contentType ?? 'application/octet-stream' },
      partSize: input.partSize ?? DEFAULT_PART_SIZE,
      queueSize: input.queueSize ?? DEFAULT_QUEUE_SIZE,
      leavePartsOnError: false,
      abortController,
    });
    const out = (await upload.done()) as { ChecksumCRC64NVME?: string; VersionId?: string };
    const sha256 = await hashing.sha256;
    const crc = checksummed.whole();
    if (!crc) throw new Error(`${input.key}: the upload ended without a checksum`);
    const digests = { sha256, crc64: crc };
    const stored = out.ChecksumCRC64NVME ?? (await storedChecksum(input.client, input.bucket, input.key));
    const verified = verifyStored(input.key, digests.crc64, stored);
    return { ...digests, versionId: out.VersionId, stored, verified };
  } catch (e) {
    // lib-storage aborted the upload (or what S3 stored is wrong): its parts count no more.
    input.onBytes?.(-acknowledged);
    throw e;
  } finally {
    input.signal?.removeEventListener('abort', onAbort);
    source.destroy();
  }
}

/**
 * What S3 holds under a key: its CRC64NVME (HeadObject), or, where reads are refused (the scans
 * bucket allows GetObject, and so HeadObject, only through the study VPC), whether an object of
 * that size is listed. `undefined` when there is no such object.
 */
export async function storedState(client: S3Client, bucket: string, key: string): Promise<{ crc64?: string; size?: number; listedOnly?: boolean } | undefined> {
  try {
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: 'ENABLED' }));
    return { crc64: head.ChecksumCRC64NVME, size: head.ContentLength };
  } catch (e) {
    const err = e as Error & { $metadata?: { httpStatusCode?: number } };
    if (err.name === 'NotFound' || err.name === 'NoSuchKey') return undefined;
    if (err.name !== 'Forbidden' && err.name !== 'AccessDenied' && err.$metadata?.httpStatusCode !== 403) throw e;
    const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key, MaxKeys: 1 }));
    const o = listed.Contents?.find((c) => c.Key === key);
    return o ? { size: o.Size, listedOnly: true } : undefined;
  }
}

/** The CRC64NVME S3 reports for an object; undefined when it has none, it is gone, or reads are refused. */
export async function storedChecksum(client: S3Client, bucket: string, key: string): Promise<string | undefined> {
  return (await storedState(client, bucket, key))?.crc64;
}

/** Uploads a small body (the manifest) with its CRC64NVME. */
export async function putSmall(client: S3Client, bucket: string, key: string, body: Buffer, contentType: string): Promise<UploadedObject> {
  const crc64 = new Crc64().update(body).base64();
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

/**
 * Bytes an upload of `size` may hold in memory at once: a single PUT streams (a few 1 MiB stream
 * buffers); a multipart upload holds up to (queue size + 1) parts.
 */
export const memoryFor = (size: number, partSize = DEFAULT_PART_SIZE, queueSize = DEFAULT_QUEUE_SIZE, threshold = DEFAULT_MULTIPART_THRESHOLD) =>
  size <= Math.min(threshold, MAX_SINGLE_PUT) ? Math.min(size, STREAM_BUFFERS) : Math.min(size, partSize * (queueSize + 1));
const STREAM_BUFFERS = 4 * 1024 * 1024;
