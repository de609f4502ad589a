/**
 * Checksums and limits of the upload layer. moto 5.2 does not validate checksums, so what S3 does
 * with them (refuse or report a mismatch) is played here by real S3 clients whose requests stop
 * before the network (after the SDK built them, or after it signed them) and get the answer the
 * test gives.
 */
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { S3Client } from '@aws-sdk/client-s3';
import { Crc64Nvme } from '@aws-sdk/checksums/crc';
import { s3Client } from '../../../cli/ingest/aws';
import { randomBytes } from 'node:crypto';
import { CRC64_ENGINE, Crc64, crc64, crc64Combine, crc64ToBase64 } from '../../../cli/ingest/crc64';
import { WINDOW, crc64Module } from '../../../cli/ingest/crc64-wasm';
import { ByteBudget, ChecksumMismatchError, fileDigests, isCrc64, isTransient, memoryFor, storedState, uploadFile, verifyStored } from '../../../cli/ingest/upload';
import { tempDir } from '../fixtures';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => (tmp = tempDir()));
afterEach(() => tmp.cleanup());

/** A real S3 client whose every request is answered by `answer` instead of the network; the inputs it saw are kept. */
function answeringClient(answer: (name: string, input: Record<string, unknown>) => Record<string, unknown>) {
  const client = new S3Client({ region: 'ap-northeast-2', endpoint: 'http://127.0.0.1:9', forcePathStyle: true, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  const seen: Array<{ name: string; input: Record<string, unknown> }> = [];
  client.middlewareStack.add(
    (_next, context) => async (args) => {
      const name = String(context.commandName);
      seen.push({ name, input: { ...(args.input as Record<string, unknown>) } });
      return { output: { $metadata: {}, ...answer(name, args.input as Record<string, unknown>) }, response: {} };
    },
    { step: 'initialize', name: 'answerHere' },
  );
  return { client, seen };
}

test('CRC64NVME of "123456789" is the standard check value (0xAE8B14860A799888)', async () => {
  const f = path.join(tmp.dir, 'check.txt');
  writeFileSync(f, '123456789');
  const d = await fileDigests(f);
  expect(Buffer.from(d.crc64, 'base64').toString('hex')).toBe('ae8b14860a799888');
  expect(d.sha256).toBe('15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225');
});

test.each(['wasm', 'js'] as const)("the slicing-by-16 CRC64NVME (%s) agrees with the SDK's, for every length and however the bytes are fed", async (engine) => {
  const data = Buffer.alloc(70_003);
  for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 13;
  const sdk = async (b: Uint8Array) => {
    const c = new Crc64Nvme();
    c.update(b);
    return BigInt(`0x${Buffer.from(await c.digest()).toString('hex')}`);
  };
  for (const n of [0, 1, 7, 15, 16, 17, 31, 32, 33, 100, 4096, 70_003]) expect(new Crc64(engine).update(data.subarray(0, n)).value()).toBe(await sdk(data.subarray(0, n)));
  expect(new Crc64(engine).update(Buffer.from('123456789')).value()).toBe(0xae8b14860a799888n);
  const pieces = new Crc64(engine);
  for (let i = 0; i < data.length; i += 1013) pieces.update(data.subarray(i, i + 1013));
  expect(pieces.value()).toBe(await sdk(data));
  expect(pieces.base64()).toBe(crc64ToBase64(await sdk(data)));
});

test('the WebAssembly CRC64NVME is the one in use, and agrees with the JavaScript on random inputs of any length and alignment', () => {
  expect(CRC64_ENGINE).toBe('wasm');
  expect(WebAssembly.validate(crc64Module())).toBe(true);
  const data = randomBytes(2 * WINDOW + 4099);
  // Lengths around the 16-byte step and the module's input window; offsets that misalign the loads.
  const lengths = [0, 1, 15, 16, 17, 255, 4096, WINDOW - 1, WINDOW, WINDOW + 1, 2 * WINDOW + 4091];
  for (let r = 0; r < 40; r++) lengths.push(Math.floor(Math.random() * (2 * WINDOW)));
  for (const n of lengths) {
    const offset = n % 8;
    const bytes = data.subarray(offset, offset + n);
    expect([n, new Crc64('wasm').update(bytes).value()]).toEqual([n, new Crc64('js').update(bytes).value()]);
  }
  // Fed in uneven pieces, the register carries across calls as in the JavaScript.
  const fed = new Crc64('wasm');
  for (let i = 0, k = 1; i < data.length; i += k, k = (k * 7 + 3) % 300_001) fed.update(data.subarray(i, i + k));
  expect(fed.value()).toBe(new Crc64('js').update(data).value());
  expect(crc64(data)).toBe(fed.value());
});

test('the CRCs of two pieces combine into the CRC of both, whatever their lengths', async () => {
  const a = Buffer.from('the first part of a file, ');
  for (const b of [Buffer.alloc(0), Buffer.from('x'), Buffer.alloc(5 * 1024 * 1024 + 3, 0x5a)]) {
    expect(crc64Combine(crc64(a), crc64(b), b.length)).toBe(crc64(Buffer.concat([a, b])));
  }
});

/**
 * A real S3 client whose HTTP requests, as signed and about to be sent, are answered by `answer`
 * instead of the network: the test sees method, path, headers and the body's bytes.
 */
interface SentRequest {
  method: string;
  path: string;
  query: Record<string, unknown>;
  headers: Record<string, string>;
  body: Buffer;
}
function httpClient(answer: (r: SentRequest, n: number) => { status?: number; headers?: Record<string, string>; body?: string }) {
  const sent: SentRequest[] = [];
  const requestHandler = {
    handle: async (req: { method: string; path: string; query?: Record<string, unknown>; headers: Record<string, string>; body?: unknown }) => {
      const chunks: Buffer[] = [];
      const b = req.body;
      if (b instanceof Uint8Array || typeof b === 'string') chunks.push(Buffer.from(b));
      // A stream is piped, as the SDK's Node handler does (FileBody sends its buffers that way).
      else if (b instanceof Readable)
        await new Promise<void>((resolve, reject) => {
          const sink = new Writable({ write: (c: Buffer, _e, done) => (chunks.push(Buffer.from(c)), setImmediate(done)) });
          sink.on('finish', resolve).on('error', reject);
          b.pipe(sink);
        });
      const r: SentRequest = { method: req.method, path: req.path, query: req.query ?? {}, headers: req.headers, body: Buffer.concat(chunks) };
      sent.push(r);
      const a = answer(r, sent.length);
      return { response: { statusCode: a.status ?? 200, headers: a.headers ?? {}, body: Readable.from([Buffer.from(a.body ?? '')]) } };
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs: () => ({}),
  };
  const client = new S3Client({ region: 'ap-northeast-2', endpoint: 'https://s3.test', forcePathStyle: true, credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, requestHandler, maxAttempts: 3 });
  return { client, sent };
}

const writeBytes = (name: string, size: number) => {
  const f = path.join(tmp.dir, name);
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 7919) >>> 5;
  writeFileSync(f, bytes);
  return { f, bytes };
};
const MiB = 1024 * 1024;

test('below the multipart threshold: one PutObject streamed from the file, with its CRC64NVME and its SHA-256 as the signed payload hash', async () => {
  // Larger than a part: a single PUT all the same.
  const { f, bytes } = writeBytes('a.dcm', 6 * MiB + 5);
  const local = await fileDigests(f);
  const { client, sent } = httpClient(() => ({ headers: { 'x-amz-checksum-crc64nvme': local.crc64, 'x-amz-version-id': 'v1' } }));
  let progressed = 0;
  const out = await uploadFile({ client, bucket: 'b', key: 'cases/K/a.dcm', file: f, size: bytes.length, partSize: 5 * MiB, onBytes: (n) => (progressed += n) });
  expect(out).toEqual({ ...local, stored: local.crc64, verified: true, versionId: 'v1' });
  expect(sent).toHaveLength(1);
  const put = sent[0];
  expect([put.method, put.path]).toEqual(['PUT', '/b/cases/K/a.dcm']);
  expect(put.headers).toMatchObject({
    'x-amz-checksum-crc64nvme': local.crc64,
    'x-amz-sdk-checksum-algorithm': 'CRC64NVME',
    'x-amz-content-sha256': local.sha256,
    'content-length': String(bytes.length),
  });
  expect(put.headers['content-encoding']).toBeUndefined(); // not aws-chunked: the checksum is in the header
  expect(put.body.equals(bytes)).toBe(true);
  expect(progressed).toBe(bytes.length);
});

test('a PutObject S3 refuses for its checksum (BadDigest) fails at once, without a retry', async () => {
  const { f, bytes } = writeBytes('a.dcm', 1000);
  const { client, sent } = httpClient(() => ({
    status: 400,
    body: '<?xml version="1.0" encoding="UTF-8"?><Error><Code>BadDigest</Code><Message>The CRC64NVME you specified did not match the calculated checksum.</Message></Error>',
  }));
  const err = await uploadFile({ client, bucket: 'b', key: 'cases/K/a.dcm', file: f, size: bytes.length }).catch((e) => e);
  expect(err.name).toBe('BadDigest');
  expect(sent).toHaveLength(1);
});

test('a stored checksum that differs from the file read here fails the upload', async () => {
  const { f } = writeBytes('a.dcm', 1000);
  const { client } = httpClient(() => ({ headers: { 'x-amz-checksum-crc64nvme': 'AAAAAAAAAAA=' } }));
  const err = await uploadFile({ client, bucket: 'b', key: 'cases/K/a.dcm', file: f, size: 1000 }).catch((e) => e);
  expect(err).toBeInstanceOf(ChecksumMismatchError);
  expect(err.message).toMatch(/S3 stored CRC64NVME AAAAAAAAAAA=.*run the command again/);
});

test('a PutObject that fails on the way (a 503) is sent again whole from a fresh stream; progress counts the bytes once', async () => {
  const { f, bytes } = writeBytes('a.dcm', 2 * MiB + 1);
  const local = await fileDigests(f);
  const { client, sent } = httpClient((_r, n) => (n === 1 ? { status: 503, body: '<Error><Code>SlowDown</Code><Message>Reduce your request rate.</Message></Error>' } : { headers: { 'x-amz-checksum-crc64nvme': local.crc64 } }));
  let progressed = 0;
  const out = await uploadFile({ client, bucket: 'b', key: 'cases/K/a.dcm', file: f, size: bytes.length, onBytes: (n) => (progressed += n) });
  expect(out.verified).toBe(true);
  expect(sent).toHaveLength(2);
  expect(sent.every((r) => r.body.equals(bytes))).toBe(true);
  expect(progressed).toBe(bytes.length);
});

test('a file that changed size since the folder was checked is not sent', async () => {
  const { f } = writeBytes('a.dcm', 1000);
  const { client, sent } = httpClient(() => ({}));
  const err = await uploadFile({ client, bucket: 'b', key: 'cases/K/a.dcm', file: f, size: 900 }).catch((e) => e);
  expect(err.message).toMatch(/a\.dcm is 1000 bytes now, 900 when the folder was checked.*run the command again/);
  expect(sent).toHaveLength(0);
});

test("above the threshold: parts carry their own CRC64NVME (unsigned payload); CompleteMultipartUpload (FULL_OBJECT) carries the whole file's", async () => {
  const size = 11 * MiB;
  const { f, bytes } = writeBytes('big.dcm', size);
  const whole = (await fileDigests(f)).crc64;
  const xml = (inner: string) => `<?xml version="1.0" encoding="UTF-8"?>${inner}`;
  const { client, sent } = httpClient((r) => {
    if (r.method === 'POST' && 'uploads' in r.query) return { body: xml('<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>cases/K/big.dcm</Key><UploadId>u1</UploadId></InitiateMultipartUploadResult>') };
    if (r.method === 'PUT') return { headers: { etag: `"e${r.query.partNumber}"` } };
    return { body: xml(`<CompleteMultipartUploadResult><Bucket>b</Bucket><Key>cases/K/big.dcm</Key><ETag>"x-3"</ETag><ChecksumCRC64NVME>${whole}</ChecksumCRC64NVME><ChecksumType>FULL_OBJECT</ChecksumType></CompleteMultipartUploadResult>`) };
  });
  let acknowledged = 0;
  const out = await uploadFile({ client, bucket: 'b', key: 'cases/K/big.dcm', file: f, size, multipartThreshold: 5 * MiB, partSize: 5 * MiB, onBytes: (n) => (acknowledged += n) });
  expect(out.verified).toBe(true);
  expect(acknowledged).toBe(size);
  const create = sent.find((r) => r.method === 'POST' && 'uploads' in r.query)!;
  const parts = sent.filter((r) => r.method === 'PUT').sort((a, b) => Number(a.query.partNumber) - Number(b.query.partNumber));
  const complete = sent.find((r) => r.method === 'POST' && 'uploadId' in r.query)!;
  expect(create.headers).toMatchObject({ 'x-amz-checksum-algorithm': 'CRC64NVME', 'x-amz-checksum-type': 'FULL_OBJECT' });
  expect(parts).toHaveLength(3);
  for (const p of parts) {
    const n = Number(p.query.partNumber);
    const piece = bytes.subarray((n - 1) * 5 * MiB, Math.min(size, n * 5 * MiB));
    expect(p.body.equals(piece)).toBe(true);
    expect(p.headers['x-amz-checksum-crc64nvme']).toBe(crc64ToBase64(crc64(piece)));
    expect(p.headers['x-amz-content-sha256']).toBe('UNSIGNED-PAYLOAD');
  }
  expect(complete.headers).toMatchObject({ 'x-amz-checksum-crc64nvme': whole, 'x-amz-checksum-type': 'FULL_OBJECT' });
  expect(sent.filter((r) => r.method === 'PUT' && !('partNumber' in r.query))).toEqual([]); // no PutObject
});

test('above the threshold but within one part, lib-storage sends one PutObject: its bytes count when S3 acknowledges it', async () => {
  const { f, bytes } = writeBytes('mid.dcm', 2 * MiB);
  const local = await fileDigests(f);
  const { client, sent } = httpClient(() => ({ headers: { 'x-amz-checksum-crc64nvme': local.crc64 } }));
  let acknowledged = 0;
  const out = await uploadFile({ client, bucket: 'b', key: 'cases/K/mid.dcm', file: f, size: bytes.length, multipartThreshold: MiB, partSize: 5 * MiB, onBytes: (n) => (acknowledged += n) });
  expect(out.verified).toBe(true);
  expect(sent.map((r) => r.method)).toEqual(['PUT']);
  expect(acknowledged).toBe(bytes.length);
});

test("the CLI's S3 client keeps the SDK's warnings, less the one about streamed bodies it retries itself", () => {
  const warn = jest.spyOn(console, 'warn').mockImplementation(() => {});
  try {
    const logger = s3Client({ region: 'ap-northeast-2' }).config.logger;
    logger.warn('An error was encountered in a non-retryable streaming request.');
    expect(warn).not.toHaveBeenCalled();
    logger.warn('something else');
    expect(warn).toHaveBeenCalledWith('something else');
  } finally {
    warn.mockRestore();
  }
});

test('transient failures are retried, a client error or an abort is not', () => {
  const status = (s: number) => Object.assign(new Error('x'), { $metadata: { httpStatusCode: s } });
  expect(isTransient(status(500))).toBe(true);
  expect(isTransient(status(503))).toBe(true);
  expect(isTransient(status(429))).toBe(true);
  expect(isTransient(status(400))).toBe(false);
  expect(isTransient(status(403))).toBe(false);
  expect(isTransient(Object.assign(new Error('reset'), { code: 'ECONNRESET' }))).toBe(true);
  expect(isTransient(Object.assign(new Error('gone'), { code: 'ENOENT' }))).toBe(false);
  expect(isTransient(Object.assign(new Error('stop'), { name: 'AbortError' }))).toBe(false);
});

test('a store that reports no CRC64NVME (or a 32-bit value, as moto does for multipart) leaves the object unverified, not failed', () => {
  expect(isCrc64('fJCZHnil+DA=')).toBe(true);
  expect(isCrc64('nEhOxw==')).toBe(false);
  expect(verifyStored('k', 'fJCZHnil+DA=', 'nEhOxw==')).toBe(false);
  expect(verifyStored('k', 'fJCZHnil+DA=', undefined)).toBe(false);
  expect(verifyStored('k', 'fJCZHnil+DA=', 'fJCZHnil+DA=')).toBe(true);
  expect(() => verifyStored('k', 'fJCZHnil+DA=', 'AAAAAAAAAAA=')).toThrow(ChecksumMismatchError);
});

test('the byte budget holds uploads back until memory is free, and lets one oversized reservation through alone', async () => {
  const budget = new ByteBudget(100);
  const a = await budget.acquire(60);
  let bStarted = false;
  const b = budget.acquire(60).then((r) => ((bStarted = true), r));
  await new Promise((r) => setTimeout(r, 10));
  expect(bStarted).toBe(false);
  a();
  (await b)();
  const big = await budget.acquire(500);
  big();
  // A single PUT streams (a few MiB whatever its size); a multipart upload holds (queue + 1) parts.
  expect(memoryFor(200 * MiB, 16 * MiB, 4, 128 * MiB)).toBe(80 * MiB);
  expect(memoryFor(1000 * MiB, 16 * MiB, 4)).toBe(4 * MiB); // below the default threshold (1 GiB)
  expect(memoryFor(60 * MiB, 16 * MiB, 4)).toBe(4 * MiB);
  expect(memoryFor(10, 16 * MiB, 4)).toBe(10);
});

test('where HeadObject is refused (reads only through the study VPC), what is stored is judged by the listing', async () => {
  const forbidden = Object.assign(new Error('Forbidden'), { name: 'Forbidden', $metadata: { httpStatusCode: 403 } });
  const { client, seen } = answeringClient((name) => {
    if (name === 'HeadObjectCommand') throw forbidden;
    return { Contents: [{ Key: 'cases/K/a.dcm', Size: 1000 }] };
  });
  expect(await storedState(client, 'b', 'cases/K/a.dcm')).toEqual({ size: 1000, listedOnly: true });
  expect(seen.map((s) => s.name)).toEqual(['HeadObjectCommand', 'ListObjectsV2Command']);
  expect(await storedState(client, 'b', 'cases/K/other.dcm')).toBeUndefined();
  const broken = answeringClient(() => {
    throw Object.assign(new Error('boom'), { name: 'InternalError', $metadata: { httpStatusCode: 500 } });
  });
  await expect(storedState(broken.client, 'b', 'k')).rejects.toThrow('boom');
});
