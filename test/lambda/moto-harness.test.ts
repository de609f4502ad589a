/** The moto harness: starts a real moto server, serves the S3 SDK client, and stops cleanly. */
import { connect } from 'node:net';
import { CreateBucketCommand, GetObjectCommand, ListBucketsCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { awsClientConfig, type MotoServer, resetMoto, startMoto, TEST_MOTO_START_TIMEOUT_MS } from '../helpers/moto';

jest.setTimeout(40_000);

function portAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('moto harness', () => {
  let moto: MotoServer;
  let s3: S3Client;

  // Plain moto as the local room starts it, with the time a test moto may take to answer: the
  // room's 20 s is for a person's machine, and a start here runs beside the other jest worker.
  beforeAll(async () => {
    moto = await startMoto(undefined, undefined, TEST_MOTO_START_TIMEOUT_MS);
    s3 = new S3Client(awsClientConfig(moto.endpoint));
  }, TEST_MOTO_START_TIMEOUT_MS + 30_000);

  afterAll(async () => {
    s3?.destroy();
    await moto?.stop();
  }, 60_000);

  test('awsClientConfig points at moto in the study region with path-style S3', () => {
    expect(awsClientConfig(moto.endpoint)).toEqual({
      endpoint: `http://127.0.0.1:${moto.port}`,
      region: 'ap-northeast-2',
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
      forcePathStyle: true,
    });
  });

  test('S3 put and get round-trip through the real SDK client', async () => {
    await s3.send(
      new CreateBucketCommand({ Bucket: 'readroom-scans', CreateBucketConfiguration: { LocationConstraint: 'ap-northeast-2' } }),
    );
    await s3.send(new PutObjectCommand({ Bucket: 'readroom-scans', Key: 'cases/C-0001/manifest.json', Body: '{"exams":7}' }));
    const got = await s3.send(new GetObjectCommand({ Bucket: 'readroom-scans', Key: 'cases/C-0001/manifest.json' }));
    expect(await got.Body!.transformToString()).toBe('{"exams":7}');
  });

  test('resetMoto wipes state', async () => {
    await s3.send(
      new CreateBucketCommand({ Bucket: 'to-be-reset', CreateBucketConfiguration: { LocationConstraint: 'ap-northeast-2' } }),
    );
    expect((await s3.send(new ListBucketsCommand({}))).Buckets!.map((b) => b.Name)).toContain('to-be-reset');
    await resetMoto(moto.endpoint);
    expect((await s3.send(new ListBucketsCommand({}))).Buckets ?? []).toEqual([]);
  });

  // Last: it stops the moto the tests above used (a second start would cost a Python start).
  test('stop() ends moto and closes its port', async () => {
    expect(await portAccepts(moto.port)).toBe(true);
    await moto.stop();
    expect(await portAccepts(moto.port)).toBe(false);
    await moto.stop(); // idempotent
  });
});
