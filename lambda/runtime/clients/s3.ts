/**
 * The S3 client, once per container (see ./dynamodb.ts for why one module per client).
 * `READROOM_S3_PATH_STYLE=1` is set only where the S3 endpoint is an IP address (the emulator).
 */
import { S3Client } from '@aws-sdk/client-s3';

let s3: S3Client | undefined;

export function s3Client(): S3Client {
  s3 ??= new S3Client({ forcePathStyle: process.env.READROOM_S3_PATH_STYLE === '1' });
  return s3;
}
