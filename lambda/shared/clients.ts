/**
 * SDK clients, created once per container and reused across warm invocations. Endpoints come from
 * the standard SDK configuration (`AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_<SERVICE>`), which is how
 * tests and the local reading room point them at the emulator; production sets nothing.
 * `READROOM_S3_PATH_STYLE=1` is set only where the S3 endpoint is an IP address (the emulator).
 */
import { AppStreamClient } from '@aws-sdk/client-appstream';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

let ddb: DynamoDBDocumentClient | undefined;
let s3: S3Client | undefined;
let appstream: AppStreamClient | undefined;

export function documentClient(): DynamoDBDocumentClient {
  ddb ??= DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });
  return ddb;
}

export function s3Client(): S3Client {
  s3 ??= new S3Client({ forcePathStyle: process.env.READROOM_S3_PATH_STYLE === '1' });
  return s3;
}

export function appStreamClient(): AppStreamClient {
  appstream ??= new AppStreamClient({});
  return appstream;
}
