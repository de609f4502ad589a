/**
 * `readroom ingest` against moto through the real SDK clients: refused cases never reach the
 * bucket, accepted ones arrive with their manifest last, an interrupted run resumes, and the case
 * registry turns the uploaded manifest into a case.
 */
import { statSync, utimesSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { ManifestSchema } from '../../../domain/manifest';
import { handler } from '../../../lambda/register-case/handler';
import { resolveBucket } from '../../../cli/ingest/aws';
import { EXIT, runIngest, type IngestOptions } from '../../../cli/ingest/run';
import { fileDigests, uploadFile } from '../../../cli/ingest/upload';
import { startHarness, type Harness } from '../../helpers/api-harness';
import type { FaultMode } from '../../helpers/serial-proxy';
import { countInFlight } from '../../helpers/in-flight';
import { awsClientConfig } from '../../helpers/moto';
import { IDENTIFYING, dicomBytes, tempDir, writeTree } from '../fixtures';

let h: Harness;
let tmp: ReturnType<typeof tempDir>;
beforeAll(async () => {
  h = await startHarness();
}, 60_000);
afterAll(() => h?.stop(), 60_000);
beforeEach(() => (tmp = tempDir()));
afterEach(() => tmp.cleanup());

const keysUnder = async (prefix: string) => ((await h.s3.send(new ListObjectsV2Command({ Bucket: h.bucketName, Prefix: prefix }))).Contents ?? []).map((o) => o.Key!).sort();
const ingest = (folder: string, o: Partial<IngestOptions> = {}) =>
  runIngest({ folder, study: 'test', client: h.s3, bucket: h.bucketName, journalPath: path.join(tmp.dir, 'journal.jsonl'), multipartThreshold: 5 * 1024 * 1024, partSize: 5 * 1024 * 1024, ...o });
/** A client of moto through the harness's proxy that counts its calls of `command` in flight. */
function countingClient(command: string) {
  const client = new S3Client(awsClientConfig(h.endpoint));
  return { client, seen: countInFlight(client, command) };
}
const readManifest = async (caseId: string) =>
  ManifestSchema.parse(JSON.parse(await (await h.s3.send(new GetObjectCommand({ Bucket: h.bucketName, Key: `cases/${caseId}/manifest.json` }))).Body!.transformToString()));

test('uploads the accepted cases with their manifests, nothing of a refused one; the registry registers the case', async () => {
  const folder = path.join(tmp.dir, 'batch');
  writeTree(folder, {
    'K-101/fundus/OD.dcm': dicomBytes({ caseId: 'K-101', laterality: 'R' }),
    'K-101/oct/OS.dcm': dicomBytes({ caseId: 'K-101', kind: 'OPT', laterality: 'L', rows: 1024, columns: 1024, frames: 6 }), // 6 MiB: multipart
    'K-101/case.json': JSON.stringify({ site: 'SNUH', context: { bcvaOD: 0.8, ageBand5y: '60-64' } }),
    'K-102/fundus/OD.dcm': dicomBytes({ caseId: 'K-102' }),
    'K-102/fundus/OS.dcm': dicomBytes({ caseId: 'K-102', laterality: 'L', extra: [IDENTIFYING.institution] }),
  });
  const report = await ingest(folder);
  expect(report.exitCode).toBe(EXIT.refused);
  expect(report.cases.map((c) => [c.caseId, c.status])).toEqual([
    ['K-101', 'uploaded'],
    ['K-102', 'refused'],
  ]);
  expect(report.next).toMatch(/Fix the 1 refused case/);
  expect(await keysUnder('cases/K-102/')).toEqual([]);
  expect(await keysUnder('cases/K-101/')).toEqual(['cases/K-101/fundus/OD-1.dcm', 'cases/K-101/manifest.json', 'cases/K-101/oct/OS-1.dcm']);

  const manifest = await readManifest('K-101');
  expect(manifest).toEqual({
    caseId: 'K-101',
    files: [
      { key: 'fundus/OD-1.dcm', exam: 'fundus', eye: 'OD', bytes: expect.any(Number), sha256: (await fileDigests(path.join(folder, 'K-101/fundus/OD.dcm'))).sha256 },
      { key: 'oct/OS-1.dcm', exam: 'oct', eye: 'OS', bytes: expect.any(Number), sha256: (await fileDigests(path.join(folder, 'K-101/oct/OS.dcm'))).sha256 },
    ],
    context: { bcvaOD: 0.8, ageBand5y: '60-64' },
    site: 'SNUH',
  });

  expect((await handler(h.objectCreatedEvent('cases/K-101/manifest.json'))).outcomes).toEqual([{ result: 'created', caseId: 'K-101' }]);
  expect(await h.store.getCase('K-101')).toMatchObject({ caseId: 'K-101', eyes: ['OD', 'OS'], exams: ['fundus', 'oct'], octPresent: true, site: 'SNUH' });
});

test('an interrupted run resumes: stored files are skipped, the rest and the manifest follow; a changed file goes up again', async () => {
  const folder = path.join(tmp.dir, 'resume');
  writeTree(folder, {
    'K-201/fundus/OD.dcm': dicomBytes({ caseId: 'K-201', fill: 1 }),
    'K-201/fundus/OS.dcm': dicomBytes({ caseId: 'K-201', laterality: 'L', fill: 2 }),
    'K-201/oct/OD.dcm': dicomBytes({ caseId: 'K-201', kind: 'OPT', fill: 3 }),
  });
  const stop = new AbortController();
  const first = await ingest(folder, { concurrency: 1, signal: stop.signal, onStored: () => stop.abort() });
  expect(first.exitCode).toBe(EXIT.interrupted);
  expect(first.cases[0]).toMatchObject({ status: 'interrupted' });
  expect(first.next).toMatch(/run the same command again to resume/);
  const stored = await keysUnder('cases/K-201/');
  expect(stored).toHaveLength(1); // one file, and no manifest
  expect(stored[0]).not.toMatch(/manifest/);

  const second = await ingest(folder, { concurrency: 1 });
  expect(second.exitCode).toBe(EXIT.ok);
  expect(second.cases[0]).toMatchObject({ status: 'uploaded', skipped: 1 });
  expect(second.totals.skippedFiles).toBe(1);
  expect(await keysUnder('cases/K-201/')).toHaveLength(4);

  const third = await ingest(folder);
  expect(third.cases[0]).toMatchObject({ status: 'unchanged', skipped: 3 });
  expect(third.totals.uploadedBytes).toBe(0);

  utimesSync(path.join(folder, 'K-201/fundus/OS.dcm'), new Date(), new Date(Date.now() + 5000));
  const fourth = await ingest(folder);
  expect(fourth.cases[0]).toMatchObject({ status: 'uploaded', skipped: 2 });
});

test('files below the multipart threshold go up as single PutObjects with their CRC64NVME, which moto reports back; a re-run skips them', async () => {
  const folder = path.join(tmp.dir, 'single');
  writeTree(folder, {
    'K-401/fundus/OD.dcm': dicomBytes({ caseId: 'K-401', fill: 4 }),
    'K-401/oct/OS.dcm': dicomBytes({ caseId: 'K-401', kind: 'OPT', laterality: 'L', rows: 512, columns: 512, frames: 24 }), // 6 MiB: above the 5 MiB part size, below the threshold
  });
  const client = new S3Client(awsClientConfig(h.endpoint));
  const commands: string[] = [];
  client.middlewareStack.add((next, context) => (args) => (commands.push(String(context.commandName)), next(args)), { step: 'initialize', name: 'count' });
  try {
    const first = await ingest(folder, { client, multipartThreshold: undefined });
    expect(first.cases[0]).toMatchObject({ status: 'uploaded', unverified: 0 });
    expect(commands.filter((c) => c !== 'PutObjectCommand' && c !== 'HeadObjectCommand')).toEqual([]); // no multipart
    expect(commands.filter((c) => c === 'PutObjectCommand')).toHaveLength(3); // two files, then the manifest
    const stored = await h.s3.send(new HeadObjectCommand({ Bucket: h.bucketName, Key: 'cases/K-401/oct/OS-1.dcm', ChecksumMode: 'ENABLED' }));
    expect(stored.ChecksumCRC64NVME).toBe((await fileDigests(path.join(folder, 'K-401/oct/OS.dcm'))).crc64);

    commands.length = 0;
    const again = await ingest(folder, { client, multipartThreshold: undefined });
    expect(again.cases[0]).toMatchObject({ status: 'unchanged', skipped: 2 });
    expect(again.totals.uploadedBytes).toBe(0);
    expect(commands).not.toContain('PutObjectCommand');
  } finally {
    client.destroy();
  }
});

test('files go up largest first, across cases, so the biggest does not start last and run alone', async () => {
  const folder = path.join(tmp.dir, 'order');
  writeTree(folder, {
    'K-501/fundus/OD.dcm': dicomBytes({ caseId: 'K-501', rows: 64, columns: 64 }),
    'K-502/fundus/OD.dcm': dicomBytes({ caseId: 'K-502', rows: 256, columns: 256 }),
    'K-502/oct/OS.dcm': dicomBytes({ caseId: 'K-502', kind: 'OPT', laterality: 'L', rows: 16, columns: 16 }),
    'K-503/oct/OD.dcm': dicomBytes({ caseId: 'K-503', kind: 'OPT', rows: 512, columns: 512, frames: 4 }),
  });
  const stored: string[] = [];
  const report = await ingest(folder, { concurrency: 1, onStored: (key) => stored.push(key) });
  expect(report.exitCode).toBe(EXIT.ok);
  expect(stored).toEqual(['cases/K-503/oct/OD-1.dcm', 'cases/K-502/fundus/OD-1.dcm', 'cases/K-501/fundus/OD-1.dcm', 'cases/K-502/oct/OS-1.dcm']);
});

test('a dry run checks and plans without any AWS call', async () => {
  const folder = path.join(tmp.dir, 'dry');
  writeTree(folder, { 'K-301/fundus/OD.dcm': dicomBytes({ caseId: 'K-301' }) });
  const report = await runIngest({ folder, study: 'test', dryRun: true });
  expect(report).toMatchObject({ exitCode: EXIT.ok, dryRun: true, totals: { accepted: 1, files: 1, uploadedBytes: 0 } });
  expect(report.next).toMatch(/Run again without --dry-run/);
  expect(await keysUnder('cases/K-301/')).toEqual([]);
});

test("the bucket comes from the data stack's ScansBucketName output, or a message says what to do", async () => {
  const target = { region: h.region, endpoint: h.endpoint };
  await expect(resolveBucket('nostudy', target)).rejects.toThrow(/No stack ReadRoom-nostudy-Data in ap-northeast-2: deploy the study first .* or pass --bucket/);
  const cfn = new CloudFormationClient({ region: h.region, endpoint: h.endpoint });
  const template = { Resources: { Scans: { Type: 'AWS::S3::Bucket', Properties: { BucketName: 'readroom-cli-scans' } } }, Outputs: { ScansBucketName: { Value: { Ref: 'Scans' } } } };
  await cfn.send(new CreateStackCommand({ StackName: 'ReadRoom-clitest-Data', TemplateBody: JSON.stringify(template) }));
  expect(await resolveBucket('clitest', target)).toBe('readroom-cli-scans');
  expect(await resolveBucket('clitest', target, 'given')).toBe('given');
});

test('a resumed run asks S3 about its journaled objects no more than --concurrency at a time', async () => {
  const folder = path.join(tmp.dir, 'many');
  const cases = ['K-601', 'K-602', 'K-603', 'K-604', 'K-605', 'K-606'];
  writeTree(folder, Object.fromEntries(cases.flatMap((caseId, i) => [
    [`${caseId}/fundus/OD.dcm`, dicomBytes({ caseId, fill: 2 * i })],
    [`${caseId}/fundus/OS.dcm`, dicomBytes({ caseId, laterality: 'L', fill: 2 * i + 1 })],
  ])));
  expect((await ingest(folder)).exitCode).toBe(EXIT.ok);

  const concurrency = 2;
  const { client, seen } = countingClient('HeadObjectCommand');
  try {
    const again = await ingest(folder, { client, concurrency });
    expect(again.cases.map((c) => c.status)).toEqual(cases.map(() => 'unchanged'));
    expect(seen.calls).toBe(cases.length * 3); // each file and each manifest checked once
    expect(seen.most).toBe(concurrency);
  } finally {
    client.destroy();
  }
});

test('progress counts exactly the bytes S3 acknowledged: a PUT or a part sent again counts once, a multipart upload that failed not at all', async () => {
  const put = path.join(tmp.dir, 'put.dcm');
  const big = path.join(tmp.dir, 'big.dcm');
  writeFileSync(put, dicomBytes({ caseId: 'K-701', kind: 'OPT', rows: 512, columns: 512, frames: 8 })); // 2 MiB: one PutObject
  writeFileSync(big, dicomBytes({ caseId: 'K-701', kind: 'OPT', rows: 1024, columns: 1024, frames: 11 })); // 11 MiB: three parts
  /** Uploads `file` with the proxy breaking the first request of `command` in `mode`; what the progress callbacks were given, summed. */
  const upload = async (file: string, key: string, command: string, mode: FaultMode, maxAttempts?: number) => {
    const client = new S3Client({ ...awsClientConfig(h.endpoint), ...(maxAttempts ? { maxAttempts } : {}) });
    let armed = false;
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (!armed && context.commandName === command) {
          h.faults.arm(1, mode);
          armed = true;
        }
        return next(args);
      },
      { step: 'deserialize', name: 'breakOne' }, // after the SDK's retry: once per attempt
    );
    let counted = 0;
    let sending = 0;
    const from = h.faults.count();
    try {
      const size = statSync(file).size;
      const result = await uploadFile({ client, bucket: h.bucketName, key, file, size, multipartThreshold: 5 * 1024 * 1024, partSize: 5 * 1024 * 1024, onBytes: (n) => (counted += n), onSending: (n) => (sending += n) }).catch((e: Error) => e);
      expect(h.faults.fired()).toBe(true);
      expect(sending).toBe(0); // every attempt took back what it showed in flight
      return { result, counted, size, calls: h.faults.calls(from) };
    } finally {
      h.faults.disarm();
      client.destroy();
    }
  };

  // Throttled, the PUT goes up again from a fresh stream: its bytes count once.
  const single = await upload(put, 'cases/K-701/oct/OD-1.dcm', 'PutObjectCommand', 'throttle');
  expect(single.result).toMatchObject({ verified: true });
  expect(single.calls.filter((c) => c === `PUT /${h.bucketName}/cases/K-701/oct/OD-1.dcm`)).toHaveLength(2);
  expect(single.counted).toBe(single.size);

  // A throttled part is sent again by the SDK: counted once too.
  const parts = await upload(big, 'cases/K-701/oct/OS-1.dcm', 'UploadPartCommand', 'throttle');
  expect(parts.result).toMatchObject({ verified: false }); // moto reports a 32-bit value for multipart
  expect(parts.counted).toBe(parts.size);

  // A part dropped and not tried again fails the upload: none of its bytes count.
  const failed = await upload(big, 'cases/K-701/oct/OS-2.dcm', 'UploadPartCommand', 'drop', 1);
  expect(failed.result).toBeInstanceOf(Error);
  expect(failed.counted).toBe(0);
});
