/**
 * Checksums and limits of the upload layer. moto 5.2 does not validate checksums, so what S3 does
 * with them (refuse or report a mismatch) is played here by a client whose requests stop before the
 * network and answer what the test says, after the SDK built them.
 */
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { CompleteMultipartUploadCommand, CreateMultipartUploadCommand, PutObjectCommand, S3Client, UploadPartCommand } from '@aws-sdk/client-s3';
import { crc64, crc64Combine, crc64ToBase64 } from '../../../cli/ingest/crc64';
import { ByteBudget, ChecksumMismatchError, fileDigests, isCrc64, memoryFor, storedState, uploadFile, verifyStored } from '../../../cli/ingest/upload';
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

test('the CRCs of two pieces combine into the CRC of both, whatever their lengths', async () => {
  const a = Buffer.from('the first part of a file, ');
  for (const b of [Buffer.alloc(0), Buffer.from('x'), Buffer.alloc(5 * 1024 * 1024 + 3, 0x5a)]) {
    expect(crc64Combine(await crc64(a), await crc64(b), b.length)).toBe(await crc64(Buffer.concat([a, b])));
  }
});

test('a small file: one PutObject carrying the whole-object CRC64NVME; a matching stored value verifies it', async () => {
  const f = path.join(tmp.dir, 'a.dcm');
  writeFileSync(f, 'x'.repeat(1000));
  const { crc64 } = await fileDigests(f);
  const { client, seen } = answeringClient(() => ({ ChecksumCRC64NVME: crc64, VersionId: 'v1' }));
  const out = await uploadFile({ client, bucket: 'b', key: 'cases/K/a.dcm', file: f, size: 1000 });
  expect(out).toMatchObject({ crc64, stored: crc64, verified: true, versionId: 'v1' });
  expect(seen.map((s) => s.name)).toEqual(['PutObjectCommand']);
  expect(seen[0].input).toMatchObject({ ChecksumAlgorithm: 'CRC64NVME', ChecksumCRC64NVME: crc64 });
});

test('a stored checksum that differs from the file read here fails the upload', async () => {
  const f = path.join(tmp.dir, 'a.dcm');
  writeFileSync(f, 'x'.repeat(1000));
  const { client } = answeringClient(() => ({ ChecksumCRC64NVME: 'AAAAAAAAAAA=' }));
  const err = await uploadFile({ client, bucket: 'b', key: 'cases/K/a.dcm', file: f, size: 1000 }).catch((e) => e);
  expect(err).toBeInstanceOf(ChecksumMismatchError);
  expect(err.message).toMatch(/S3 stored CRC64NVME AAAAAAAAAAA=.*run the command again/);
});

test("multipart: each part carries its own CRC64NVME; CompleteMultipartUpload (FULL_OBJECT) carries the whole file's", async () => {
  const size = 11 * 1024 * 1024;
  const f = path.join(tmp.dir, 'big.dcm');
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 7919) >>> 5;
  writeFileSync(f, bytes);
  const whole = (await fileDigests(f)).crc64;
  const { client, seen } = answeringClient((name) =>
    name === 'CreateMultipartUploadCommand' ? { UploadId: 'u1' } : name === 'UploadPartCommand' ? { ETag: '"e"' } : { ChecksumCRC64NVME: whole },
  );
  const out = await uploadFile({ client, bucket: 'b', key: 'cases/K/big.dcm', file: f, size, partSize: 5 * 1024 * 1024 });
  expect(out.verified).toBe(true);
  const create = seen.find((s) => s.name === CreateMultipartUploadCommand.name)!;
  const parts = seen.filter((s) => s.name === UploadPartCommand.name);
  const complete = seen.find((s) => s.name === CompleteMultipartUploadCommand.name)!;
  expect(create.input).toMatchObject({ ChecksumAlgorithm: 'CRC64NVME', ChecksumType: 'FULL_OBJECT' });
  expect(parts).toHaveLength(3);
  const MiB = 1024 * 1024;
  for (const p of parts) {
    const n = Number(p.input.PartNumber);
    expect(p.input.ChecksumCRC64NVME).toBe(crc64ToBase64(await crc64(bytes.subarray((n - 1) * 5 * MiB, Math.min(size, n * 5 * MiB)))));
  }
  expect(complete.input).toMatchObject({ ChecksumCRC64NVME: whole, ChecksumType: 'FULL_OBJECT' });
  expect(seen.some((s) => s.name === PutObjectCommand.name)).toBe(false);
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
  expect(memoryFor(1000, 16, 4)).toBe(80);
  expect(memoryFor(10, 16, 4)).toBe(10);
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
