/**
 * Idempotency records (`IDEMPOTENCY#<reader>#<key>` / `RESULT`): the first response to a write
 * with an `Idempotency-Key`, stored in the same transaction as the write itself, so a retry finds
 * either nothing (the write did not happen) or the exact response (it did). They expire after 24 h
 * through the table's `ttl`; they only deduplicate retries and are never the record of anything.
 */
import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { keys } from './keys';
import { recordOf, type LabelledTx } from './table';

export const IDEMPOTENCY_TTL_SECONDS = 24 * 3600;

export interface IdempotencyRecord {
  readerId: string;
  key: string;
  /** sha256 of what makes the request (route, ids, preconditions, body): a reused key with another request is refused. */
  requestHash: string;
  statusCode: number;
  body: unknown;
  headers?: Record<string, string>;
  createdAt: string;
  /** Epoch seconds (DynamoDB TTL). */
  ttl: number;
}

export async function getIdempotency(db: DynamoDBDocumentClient, tableName: string, readerId: string, key: string): Promise<IdempotencyRecord | undefined> {
  const out = await db.send(new GetCommand({ TableName: tableName, Key: keys.idempotency(readerId, key), ConsistentRead: true }));
  // An expired record may linger until DynamoDB deletes it; treat it as gone.
  if (!out.Item || (out.Item.ttl as number) * 1000 < Date.now()) return undefined;
  return recordOf<IdempotencyRecord>(out.Item);
}

export function idempotencyPutTx(tableName: string, r: IdempotencyRecord): LabelledTx {
  return {
    label: 'idempotency',
    item: {
      Put: {
        TableName: tableName,
        Item: { ...keys.idempotency(r.readerId, r.key), type: 'idempotency', ...r },
        // An expired record that DynamoDB has not deleted yet may be replaced.
        ConditionExpression: 'attribute_not_exists(pk) OR #ttl < :now',
        ExpressionAttributeNames: { '#ttl': 'ttl' },
        ExpressionAttributeValues: { ':now': Math.floor(Date.parse(r.createdAt) / 1000) },
      },
    },
  };
}
