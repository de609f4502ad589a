/**
 * Transactions over the reading table, with cancellation reasons mapped back to the items that
 * caused them, so a use case can tell "the version moved" from "someone else took the slot".
 */
import type { TransactWriteItem } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  QueryCommand,
  TransactWriteCommand,
  type BatchGetCommandOutput,
  type DynamoDBDocumentClient,
  type QueryCommandInput,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';

/** The reading table as the store's methods use it: the document client and the table's name. */
export interface Table {
  readonly db: DynamoDBDocumentClient;
  readonly tableName: string;
}

/**
 * Every page of a query, for partitions known to be small (a case's items, a reader's queue, the
 * pseudonym map), or bounded by `stop` items.
 */
export async function queryAll(db: DynamoDBDocumentClient, input: QueryCommandInput, stop = Infinity): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await db.send(new QueryCommand({ ...input, ExclusiveStartKey: start, ...(stop < Infinity ? { Limit: Math.min(1000, stop - items.length) } : {}) }));
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start && items.length < stop);
  return items;
}

/** COUNT over a key range, page by page (DynamoDB counts at most 1 MB of items per call). */
export async function count(db: DynamoDBDocumentClient, input: QueryCommandInput): Promise<number> {
  let n = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const out = await db.send(new QueryCommand({ ...input, Select: 'COUNT', ExclusiveStartKey: start }));
    n += out.Count ?? 0;
    start = out.LastEvaluatedKey;
  } while (start);
  return n;
}

/**
 * BatchGetItem of any number of keys (100 per call), consistent, retrying what DynamoDB left
 * unprocessed (with backoff). `projection` reads only those attributes (`names` for reserved words).
 */
export async function batchGet(
  db: DynamoDBDocumentClient,
  tableName: string,
  keyList: readonly Record<string, string>[],
  opts: { projection?: string; names?: Record<string, string> } = {},
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  for (let i = 0; i < keyList.length; i += 100) {
    let pending: Record<string, unknown>[] | undefined = keyList.slice(i, i + 100);
    for (let attempt = 0; pending && pending.length > 0; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 25 * 2 ** attempt)));
      const out: BatchGetCommandOutput = await db.send(
        new BatchGetCommand({
          RequestItems: {
            [tableName]: { Keys: pending, ConsistentRead: true, ...(opts.projection ? { ProjectionExpression: opts.projection } : {}), ...(opts.names ? { ExpressionAttributeNames: opts.names } : {}) },
          },
        }),
      );
      items.push(...(out.Responses?.[tableName] ?? []));
      pending = out.UnprocessedKeys?.[tableName]?.Keys;
    }
  }
  return items;
}

/** One item of a TransactWrite as the document client takes it (native JS values). */
export type TxItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/**
 * A transaction item with a label, so that a cancellation can say which part failed. Builders in
 * this folder may return either document-client items or low-level `TransactWriteItem`s whose
 * values are native JS (as adjudications.ts/finals.ts do); both are sent through the document client.
 */
export interface LabelledTx {
  label: string;
  item: TxItem | TransactWriteItem;
}

/** Raw DynamoDB attribute values, as a cancellation returns an item (the document client does not convert errors). */
export type RawItem = Record<string, { S?: string; N?: string; SS?: string[]; BOOL?: boolean }>;

/** Why a transaction was cancelled: the reason code per label (`ConditionalCheckFailed`, `TransactionConflict` …). */
export class TransactionCancelled extends Error {
  constructor(
    readonly reasons: ReadonlyMap<string, string>,
    /** The current item, per label, for parts sent with `ReturnValuesOnConditionCheckFailure: 'ALL_OLD'`. */
    readonly items: ReadonlyMap<string, RawItem> = new Map(),
  ) {
    super(`transaction cancelled: ${[...reasons].map(([l, r]) => `${l}=${r}`).join(', ')}`);
    this.name = 'TransactionCancelled';
  }

  /** True when the item labelled `label` failed its condition. */
  failed(label: string): boolean {
    return this.reasons.get(label) === 'ConditionalCheckFailed';
  }

  /** True when nothing failed a condition: only conflicts with concurrent transactions (retry). */
  get onlyConflicts(): boolean {
    return [...this.reasons.values()].every((r) => r === 'TransactionConflict');
  }
}

export async function transact(db: DynamoDBDocumentClient, parts: readonly LabelledTx[]): Promise<void> {
  try {
    await db.send(new TransactWriteCommand({ TransactItems: parts.map((p) => p.item as TxItem) }));
  } catch (e) {
    const err = e as { name?: string; CancellationReasons?: Array<{ Code?: string; Item?: RawItem }> };
    if (err.name !== 'TransactionCanceledException') throw e;
    const reasons = new Map<string, string>();
    const items = new Map<string, RawItem>();
    (err.CancellationReasons ?? []).forEach((r, i) => {
      if (r.Code && r.Code !== 'None' && parts[i]) reasons.set(parts[i].label, r.Code);
      if (r.Item && parts[i]) items.set(parts[i].label, r.Item);
    });
    // Without reasons (never seen, but the field is optional) treat it as a conflict to retry.
    throw new TransactionCancelled(reasons.size > 0 ? reasons : new Map([['*', 'TransactionConflict']]), items);
  }
}

/** Which parts of a refused transaction failed their conditions (`conflictOnly`: only concurrency got in the way). */
export interface TransactRejected {
  failed: ReadonlySet<string>;
  conflictOnly: boolean;
}

/** `transact`, answering a cancellation as the labels that failed their conditions instead of throwing. */
export async function transactOrRejected(db: DynamoDBDocumentClient, parts: readonly LabelledTx[]): Promise<TransactRejected | undefined> {
  try {
    await transact(db, parts);
    return undefined;
  } catch (e) {
    if (!(e instanceof TransactionCancelled)) throw e;
    const failed = new Set([...e.reasons].filter(([, code]) => code === 'ConditionalCheckFailed').map(([label]) => label));
    return { failed, conflictOnly: e.onlyConflicts };
  }
}

/** True for a single conditional write whose condition failed. */
export function isConditionFailed(e: unknown): boolean {
  return (e as { name?: string })?.name === 'ConditionalCheckFailedException';
}

/** Drops the table's key and index attributes from an item, leaving the record. */
export function recordOf<T>(item: Record<string, unknown>): T {
  const { pk: _pk, sk: _sk, gsi1pk: _a, gsi1sk: _b, gsi2pk: _c, gsi2sk: _d, type: _t, ...rest } = item;
  return rest as T;
}
