/**
 * AWS clients for the CLI: the standard credential chain (environment, shared config and SSO
 * profiles, instance roles), the study's region, and an optional endpoint (`--endpoint-url` or
 * AWS_ENDPOINT_URL) for the local reading room or moto, which also needs path-style S3 addressing.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { S3Client } from '@aws-sdk/client-s3';
import { studyNames } from '../../lib/config/names';

export interface AwsTarget {
  region: string;
  endpoint?: string;
}

export function s3Client(t: AwsTarget): S3Client {
  return new S3Client({
    region: t.region,
    // With `Expect: 100-continue` (the SDK's default above 2 MB) Node's handler opens a fresh
    // connection, without keep-alive, for every part: a TCP (and on AWS a TLS) handshake per part.
    expectContinueHeader: false,
    logger: sdkLogger,
    ...(t.endpoint ? { endpoint: t.endpoint, forcePathStyle: true } : {}),
  });
}

/**
 * The SDK's warnings on stderr, less one: it warns that a request with a streamed body cannot be
 * retried, and upload.ts retries those itself, with a fresh stream.
 */
const sdkLogger = {
  trace: () => {},
  debug: () => {},
  info: () => {},
  warn: (...args: unknown[]) => {
    if (!/non-retryable streaming request/.test(String(args[0]))) console.warn(...args);
  },
  error: (...args: unknown[]) => console.error(...args),
};

export class BucketLookupError extends Error {}

/**
 * The scans bucket: `--bucket` when given, else the `ScansBucketName` output of the study's data
 * stack (`ReadRoom-<study>-Data`), read with CloudFormation DescribeStacks.
 */
export async function resolveBucket(study: string, t: AwsTarget, explicit?: string): Promise<string> {
  if (explicit) return explicit;
  const stackName = studyNames(study).dataStack;
  const cfn = new CloudFormationClient({ region: t.region, ...(t.endpoint ? { endpoint: t.endpoint } : {}) });
  let outputs;
  try {
    outputs = (await cfn.send(new DescribeStacksCommand({ StackName: stackName }))).Stacks?.[0]?.Outputs;
  } catch (e) {
    if (/does not exist/.test((e as Error).message)) {
      throw new BucketLookupError(`No stack ${stackName} in ${t.region}: deploy the study first (npx cdk deploy -c study=${study}), or pass --bucket <name>.`);
    }
    throw new BucketLookupError(`Could not read stack ${stackName} in ${t.region} (${(e as Error).name}: ${(e as Error).message}). Check your AWS credentials (AWS_PROFILE, aws sso login), or pass --bucket <name>.`);
  } finally {
    cfn.destroy();
  }
  const bucket = outputs?.find((o) => o.OutputKey === 'ScansBucketName')?.OutputValue;
  if (!bucket) throw new BucketLookupError(`Stack ${stackName} has no ScansBucketName output: is it a ReadRoom data stack? Pass --bucket <name>.`);
  return bucket;
}
