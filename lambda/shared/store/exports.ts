/**
 * Export jobs (`EXPORT#<id>` / `META`) and the stable reader pseudonyms used in exports.
 *
 * Pseudonyms: every person who appears in an export (readers, adjudicators) gets a code R001, R002…
 * the first time an export needs one, in order of first appearance (ties by id). A code is
 * allocated by one transaction on a counter plus an `attribute_not_exists` put, so two exports
 * racing never hand out the same code, and a code never changes: R007 in this year's export is
 * R007 next year. The mapping lives only in the table (readable by admins), never in the export.
 */
import { GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConflictError } from '../errors';
import { keys, pad } from './keys';

export type ExportStatus = 'running' | 'complete' | 'failed';

export interface ExportFile {
  name: string;
  key: string;
  bytes: number;
  contentType: string;
}

export interface ExportJob {
  exportId: string;
  status: ExportStatus;
  requestedBy: string;
  createdAt: string;
  completedAt?: string;
  files?: ExportFile[];
  counts?: { cases: number; rows: number; reads: number };
  /** Failure class only (never data). */
  error?: string;
}

function fromItem(item: Record<string, unknown>): ExportJob {
  const { pk: _pk, sk: _sk, type: _type, ...job } = item;
  return job as unknown as ExportJob;
}

export async function createExportJob(db: DynamoDBDocumentClient, tableName: string, job: Pick<ExportJob, 'exportId' | 'requestedBy' | 'createdAt'>): Promise<void> {
  try {
    await db.send(
      new PutCommand({
        TableName: tableName,
        Item: { ...keys.exportJob(job.exportId), type: 'export', ...job, status: 'running' },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  } catch (e) {
    if ((e as Error).name === 'ConditionalCheckFailedException') throw new ConflictError(`Export ${job.exportId} already exists.`, 'export_exists');
    throw e;
  }
}

export async function finishExportJob(
  db: DynamoDBDocumentClient,
  tableName: string,
  exportId: string,
  outcome: { status: 'complete'; files: ExportFile[]; counts: NonNullable<ExportJob['counts']>; at: string } | { status: 'failed'; error: string; at: string },
): Promise<void> {
  const fields = outcome.status === 'complete' ? { files: outcome.files, counts: outcome.counts } : { error: outcome.error };
  const names = Object.keys(fields);
  await db.send(
    new UpdateCommand({
      TableName: tableName,
      Key: keys.exportJob(exportId),
      UpdateExpression: `SET #status = :status, completedAt = :at, ${names.map((n) => `#${n} = :${n}`).join(', ')}`,
      ConditionExpression: '#status = :running',
      ExpressionAttributeNames: { '#status': 'status', ...Object.fromEntries(names.map((n) => [`#${n}`, n])) },
      ExpressionAttributeValues: {
        ':status': outcome.status,
        ':running': 'running',
        ':at': outcome.at,
        ...Object.fromEntries(Object.entries(fields).map(([n, v]) => [`:${n}`, v])),
      },
    }),
  );
}

export async function getExportJob(db: DynamoDBDocumentClient, tableName: string, exportId: string): Promise<ExportJob | undefined> {
  const out = await db.send(new GetCommand({ TableName: tableName, Key: keys.exportJob(exportId), ConsistentRead: true }));
  return out.Item ? fromItem(out.Item) : undefined;
}

// ---------------------------------------------------------------------------------------------
// Pseudonyms.

export const pseudonymCode = (n: number): string => `R${pad(n, 3)}`;

async function loadPseudonyms(db: DynamoDBDocumentClient, tableName: string): Promise<{ codes: Map<string, string>; counter: number }> {
  const codes = new Map<string, string>();
  let counter = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const out = await db.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': keys.pseudonymCounter().pk },
        ExclusiveStartKey: start,
        ConsistentRead: true,
      }),
    );
    for (const item of out.Items ?? []) {
      if (item.sk === keys.pseudonymCounter().sk) counter = Number(item.n);
      else codes.set(String(item.readerId), String(item.code));
    }
    start = out.LastEvaluatedKey;
  } while (start);
  return { codes, counter };
}

/** At most this many new codes per transaction (DynamoDB allows 100 items; one is the counter). */
const BATCH = 99;

/**
 * Codes for `readerIds` (in the order given: first appearance), allocating the missing ones.
 * Retries when another export allocated codes at the same time.
 */
export async function ensurePseudonyms(db: DynamoDBDocumentClient, tableName: string, readerIds: readonly string[], at: string): Promise<Map<string, string>> {
  for (let attempt = 0; ; attempt++) {
    const { codes, counter } = await loadPseudonyms(db, tableName);
    const missing = [...new Set(readerIds)].filter((id) => !codes.has(id));
    if (missing.length === 0) return codes;
    const batch = missing.slice(0, BATCH);
    try {
      await db.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: tableName,
                Key: keys.pseudonymCounter(),
                UpdateExpression: 'SET n = :next',
                ConditionExpression: counter === 0 ? 'attribute_not_exists(n)' : 'n = :current',
                ExpressionAttributeValues: { ':next': counter + batch.length, ...(counter === 0 ? {} : { ':current': counter }) },
              },
            },
            ...batch.map((readerId, i) => ({
              Put: {
                TableName: tableName,
                Item: { ...keys.pseudonym(readerId), type: 'pseudonym', readerId, code: pseudonymCode(counter + i + 1), at },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            })),
          ],
        }),
      );
      attempt = -1; // progress made: the next round allocates the rest (if any) from scratch
    } catch (e) {
      if ((e as Error).name !== 'TransactionCanceledException' || attempt >= 5) throw e;
    }
  }
}
