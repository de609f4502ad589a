/**
 * The DynamoDB document client, created once per container and reused across warm invocations.
 * One module per SDK client so that esbuild bundles into each function only the clients it imports.
 * Endpoints come from the standard SDK configuration (`AWS_ENDPOINT_URL`,
 * `AWS_ENDPOINT_URL_<SERVICE>`): tests and the local reading room point them at the emulator;
 * production sets nothing.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

let ddb: DynamoDBDocumentClient | undefined;

export function documentClient(): DynamoDBDocumentClient {
  ddb ??= DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });
  return ddb;
}
