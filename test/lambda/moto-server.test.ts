/**
 * The suite's moto (test/helpers/moto-server.py) answers exactly as plain moto does: its self-check
 * runs the functions' kinds of DynamoDB calls against both in one process and fails on any
 * difference in an answer or in the table afterwards. Its run-time settings (what lets a file with
 * its own moto settings use the worker's shared moto) change moto's behaviour and go back to the
 * start-up values when a file does not give them. It keeps connections open between requests.
 */
import { spawnSync } from 'node:child_process';
import { Agent } from 'node:http';
import { CompleteMultipartUploadCommand, CreateBucketCommand, CreateMultipartUploadCommand, S3Client, UploadPartCommand } from '@aws-sdk/client-s3';
import { post } from '../helpers/http-post';
import { awsClientConfig, configureTestMoto, TEST_MOTO_SERVER, testMoto, type MotoServer } from '../helpers/moto';

test('the patched moto gives the same answers and leaves the same table as plain moto', () => {
  const run = spawnSync('python3', [...TEST_MOTO_SERVER, '--self-check'], { encoding: 'utf8' });
  expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
  expect(run.stdout).toMatch(/^self-check: \d+ DynamoDB calls, identical$/m);
});

describe('connections', () => {
  let moto: MotoServer;
  beforeAll(async () => void (moto = await testMoto()), 60_000);
  afterAll(() => moto?.stop(), 60_000);

  /** DynamoDB ListTables on `agent`'s one connection. */
  const listTables = async (agent: Agent, framing: 'length' | 'chunked') => {
    const answer = await post(agent, `${moto.endpoint}/`, '{}', framing, {
      'x-amz-target': 'DynamoDB_20120810.ListTables',
      'content-type': 'application/x-amz-json-1.0',
      authorization: 'AWS4-HMAC-SHA256 Credential=testing/20260101/ap-northeast-2/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
    });
    return { ...answer, connection: answer.headers.connection, tables: JSON.parse(answer.text).TableNames };
  };

  test('a request framed by its Content-Length leaves the connection open for the next; a chunked one is answered and closes it', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const answers = [await listTables(agent, 'length'), await listTables(agent, 'length'), await listTables(agent, 'chunked'), await listTables(agent, 'length')];
      expect(answers.map((a) => [a.status, a.reused, a.connection ?? 'keep-alive', Array.isArray(a.tables)])).toEqual([
        [200, false, 'keep-alive', true],
        [200, true, 'keep-alive', true],
        [200, true, 'close', true],
        [200, false, 'keep-alive', true],
      ]);
    } finally {
      agent.destroy();
    }
  });
});

describe('run-time settings', () => {
  let moto: MotoServer;
  let s3: S3Client;
  beforeAll(async () => {
    moto = await testMoto();
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

  test("Cognito's TOTP checking is switched on for a file that asks, and off again for the next", async () => {
    const settings = async (body: Record<string, string>) => (await fetch(`${moto.endpoint}/moto-api/readroom/settings`, { method: 'POST', body: JSON.stringify(body) })).json();
    expect(await settings({ MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP: 'true' })).toMatchObject({ MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP: 'true' });
    expect(await settings({})).toMatchObject({ MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP: null });
  });

  test('a setting moto reads only at start-up is refused, naming the ones it can change; a bad value changes nothing', async () => {
    await expect(configureTestMoto(moto.endpoint, { MOTO_S3_CUSTOM_ENDPOINTS: 'http://x' })).rejects.toThrow(
      /HTTP 400 .*not settable at run time: MOTO_S3_CUSTOM_ENDPOINTS \(only MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP, S3_UPLOAD_PART_MIN_SIZE\)/,
    );
    await configureTestMoto(moto.endpoint, { S3_UPLOAD_PART_MIN_SIZE: String(24 * 1024) });
    await expect(configureTestMoto(moto.endpoint, { MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP: 'true', S3_UPLOAD_PART_MIN_SIZE: 'small' })).rejects.toThrow(/HTTP 400/);
    expect(await twoParts('still-small-parts-allowed')).toBe('complete');
  });
});
