/**
 * The suite's moto (test/helpers/moto-server.py) answers exactly as plain moto does: its self-check
 * runs the functions' kinds of DynamoDB calls against both in one process and fails on any
 * difference in an answer or in the table afterwards. Its run-time settings (what lets a file with
 * its own moto settings use the worker's shared moto) change moto's behaviour and go back to the
 * start-up values when a file does not give them.
 */
import { spawnSync } from 'node:child_process';
import { CompleteMultipartUploadCommand, CreateBucketCommand, CreateMultipartUploadCommand, S3Client, UploadPartCommand } from '@aws-sdk/client-s3';
import { awsClientConfig, configureTestMoto, resetMoto, sharedMotoEndpoint, startTestMoto, TEST_MOTO_SERVER, type MotoServer } from '../helpers/moto';

test('the patched moto gives the same answers and leaves the same table as plain moto', () => {
  const run = spawnSync('python3', [...TEST_MOTO_SERVER, '--self-check'], { encoding: 'utf8' });
  expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
  expect(run.stdout).toMatch(/^self-check: \d+ DynamoDB calls, identical$/m);
});

describe('run-time settings', () => {
  let moto: MotoServer;
  let s3: S3Client;
  beforeAll(async () => {
    const shared = sharedMotoEndpoint();
    moto = shared ? { endpoint: shared, port: Number(new URL(shared).port), stop: async () => undefined } : await startTestMoto();
    await resetMoto(moto.endpoint);
    s3 = new S3Client(awsClientConfig(moto.endpoint));
    await s3.send(new CreateBucketCommand({ Bucket: 'parts', CreateBucketConfiguration: { LocationConstraint: 'ap-northeast-2' } }));
  }, 60_000);
  afterAll(async () => {
    s3?.destroy();
    await configureTestMoto(moto.endpoint, {});
    await moto?.stop();
  }, 60_000);

  /** A two-part upload whose first part is 30 KiB: below S3's 5 MiB minimum, above 24 KiB. */
  async function twoParts(key: string): Promise<string> {
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'parts', Key: key }));
    const parts = [];
    for (const [n, size] of [[1, 30 * 1024], [2, 10]] as const) {
      const { ETag } = await s3.send(new UploadPartCommand({ Bucket: 'parts', Key: key, UploadId, PartNumber: n, Body: Buffer.alloc(size, n) }));
      parts.push({ ETag, PartNumber: n });
    }
    try {
      await s3.send(new CompleteMultipartUploadCommand({ Bucket: 'parts', Key: key, UploadId, MultipartUpload: { Parts: parts } }));
      return 'complete';
    } catch (e) {
      return (e as Error).name;
    }
  }

  test('S3_UPLOAD_PART_MIN_SIZE lowers the part minimum; a file that gives no settings gets the default back', async () => {
    await configureTestMoto(moto.endpoint, { S3_UPLOAD_PART_MIN_SIZE: String(24 * 1024) });
    expect(await twoParts('small-parts-allowed')).toBe('complete');
    await configureTestMoto(moto.endpoint, {});
    expect(await twoParts('small-parts-refused')).toBe('EntityTooSmall');
  });

  test('a setting moto reads only at start-up is refused, naming the ones it can change', async () => {
    await expect(configureTestMoto(moto.endpoint, { MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP: 'true' })).rejects.toThrow(/HTTP 400 .*not settable at run time: MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP \(only S3_UPLOAD_PART_MIN_SIZE\)/);
  });
});
