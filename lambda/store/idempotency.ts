/**
 * Idempotency records (`IDEMPOTENCY#<actor>#<key>` / `RESULT`): the result of the first write with
 * an `Idempotency-Key`, stored in the same transaction as the write itself, so a retry finds either
 * nothing (the write did not happen) or the exact result (it did). They expire after 24 h through
 * the table's `ttl`; they only deduplicate retries and are never the record of anything. The
 * vocabulary (key, fingerprint, result) and the rules are ../runtime/idempotency.ts.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from './keys';
import { recordOf, type LabelledTx, type Table } from './table';

export const IDEMPOTENCY_TTL_SECONDS = 24 * 3600;

export interface IdempotencyRecord {
  /** Who sent the request (Cognito sub): keys are per person. */
  actor: string;
  key: string;
  /** What makes the request (route, ids, preconditions, body), hashed: a reused key with another request is refused. */
  fingerprint: string;
  /** What the first request's use case returned (a domain value; the handler makes it a response). */
  result: unknown;
  createdAt: string;
  /** Epoch seconds (DynamoDB TTL). */
  ttl: number;
}

export function idempotencyPutTx(tableName: string, r: IdempotencyRecord): LabelledTx {
  return {
    label: 'idempotency',
    item: {
      Put: {
        TableName: tableName,
        Item: { ...keys.idempotency(r.actor, r.key), type: 'idempotency', ...r },
        // An expired record that DynamoDB has not deleted yet may be replaced.
        ConditionExpression: 'attribute_not_exists(pk) OR #ttl < :now',
        ExpressionAttributeNames: { '#ttl': 'ttl' },
        ExpressionAttributeValues: { ':now': Math.floor(Date.parse(r.createdAt) / 1000) },
      },
    },
  };
}

/** Idempotency records in the table. */
export function idempotencyStore({ db, tableName }: Table) {
  async function getIdempotency(actor: string, key: string): Promise<IdempotencyRecord | undefined> {
    const out = await db.send(new GetCommand({ TableName: tableName, Key: keys.idempotency(actor, key), ConsistentRead: true }));
    // An expired record may linger until DynamoDB deletes it; treat it as gone.
    if (!out.Item || (out.Item.ttl as number) * 1000 < Date.now()) return undefined;
    return recordOf<IdempotencyRecord>(out.Item);
  }

  return { getIdempotency };
}
