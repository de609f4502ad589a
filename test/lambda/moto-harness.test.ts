/** The moto harness: starts a real moto server, serves the S3 SDK client, and stops cleanly. */
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { CreateBucketCommand, GetObjectCommand, ListBucketsCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { freePort } from '../../local/moto';
import { processAlive } from '../helpers/process-alive';
import { awsClientConfig, type MotoServer, resetMoto, startMoto, TEST_MOTO_SERVER, TEST_MOTO_START_TIMEOUT_MS } from '../helpers/moto';

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

test("the tests' moto exits when the process that started it is gone (a run stopped by Ctrl-C leaves no emulator running)", async () => {
  const port = await freePort();
  // A parent that starts the tests' moto server, prints its pid and waits: as jest's main process
  // does for the shared emulators, which a Ctrl-C'd run never stops.
  const script = `const c = require('node:child_process').spawn('python3', ${JSON.stringify([...TEST_MOTO_SERVER, '-H', '127.0.0.1', '-p', String(port)])}, { stdio: 'ignore' }); console.log(c.pid); setInterval(() => undefined, 1000);`;
  const parent = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const motoPid = Number(await new Promise<string>((resolve) => parent.stdout.once('data', (d: Buffer) => resolve(d.toString()))));
  const alive = () => processAlive(motoPid);
  try {
    const deadline = Date.now() + TEST_MOTO_START_TIMEOUT_MS;
    while (!(await portAccepts(port)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(await portAccepts(port)).toBe(true);

    parent.kill('SIGKILL');
    const gone = Date.now() + 10_000;
    while (alive() && Date.now() < gone) await new Promise((r) => setTimeout(r, 100));
    expect(alive()).toBe(false);
    expect(await portAccepts(port)).toBe(false);
  } finally {
    parent.kill('SIGKILL');
    if (alive()) process.kill(motoPid, 'SIGKILL');
  }
}, TEST_MOTO_START_TIMEOUT_MS + 30_000);
