/**
 * Reader profiles (`READER#<sub>` / `PROFILE`, gsi2 `READERS`) with workload counters that move
 * only inside the transactions that create or submit assignments: `openCount` (assigned, not yet
 * submitted; capped by maxOpenPerReader) and `submittedCount`.
 */
import { GetCommand, QueryCommand, UpdateCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { keys } from './keys';
import { decodeCursor, encodeCursor, type Page } from './page';
import { queryAll, recordOf, type LabelledTx, type Table } from './table';

export interface ReaderRecord {
  readerId: string;
  email?: string;
  site?: string;
  openCount: number;
  submittedCount: number;
  /** False when an administrator switched the profile off (bulk assignment leaves the reader out). */
  active?: boolean;
  createdAt: string;
  updatedAt: string;
}

/** gsi2's partition of every reader profile. */
const READERS = keys.readerIndex('').gsi2pk;

// Every write to a profile (re)states its identity and index keys, so whichever write comes first
// creates a complete profile.
const IDENTITY = 'readerId = :r, gsi2pk = :gpk, gsi2sk = :r, createdAt = if_not_exists(createdAt, :at), updatedAt = :at';
const identityValues = (readerId: string, at: string) => ({ ':r': readerId, ':gpk': keys.readerIndex(readerId).gsi2pk, ':at': at });

/** One more open assignment, unless the reader already has `maxOpen`. */
export function openAssignmentTx(tableName: string, readerId: string, maxOpen: number, at: string): LabelledTx {
  return {
    label: 'reader',
    item: {
      Update: {
        TableName: tableName,
        Key: keys.reader(readerId),
        UpdateExpression: `SET ${IDENTITY}, openCount = if_not_exists(openCount, :zero) + :one, submittedCount = if_not_exists(submittedCount, :zero)`,
        ConditionExpression: 'attribute_not_exists(openCount) OR openCount < :max',
        ExpressionAttributeValues: { ...identityValues(readerId, at), ':zero': 0, ':one': 1, ':max': maxOpen },
      },
    },
  };
}

/** An open assignment was submitted. */
export function submitAssignmentTx(tableName: string, readerId: string, at: string): LabelledTx {
  return {
    label: 'reader',
    item: {
      Update: {
        TableName: tableName,
        Key: keys.reader(readerId),
        UpdateExpression: `SET ${IDENTITY}, openCount = if_not_exists(openCount, :one) - :one, submittedCount = if_not_exists(submittedCount, :zero) + :one`,
        ExpressionAttributeValues: { ...identityValues(readerId, at), ':zero': 0, ':one': 1 },
      },
    },
  };
}

/** Reader profiles in the table. */
export function readerStore({ db, tableName }: Table) {
  /**
   * Creates the profile on first sight (GET /me) and keeps the e-mail and site current from the ID
   * token (a site removed in Cognito is removed here); returns the profile.
   */
  async function ensureReader(r: { readerId: string; email?: string; site?: string; at: string }): Promise<ReaderRecord> {
    const out = await db.send(
      new UpdateCommand({
        TableName: tableName,
        Key: keys.reader(r.readerId),
        UpdateExpression:
          `SET ${IDENTITY}, openCount = if_not_exists(openCount, :zero), submittedCount = if_not_exists(submittedCount, :zero)` +
          `${r.email ? ', email = :email' : ''}${r.site ? ', site = :site' : ' REMOVE site'}`,
        ExpressionAttributeValues: { ...identityValues(r.readerId, r.at), ':zero': 0, ...(r.email ? { ':email': r.email } : {}), ...(r.site ? { ':site': r.site } : {}) },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return recordOf<ReaderRecord>(out.Attributes!);
  }

  async function getReader(readerId: string): Promise<ReaderRecord | undefined> {
    const out = await db.send(new GetCommand({ TableName: tableName, Key: keys.reader(readerId), ConsistentRead: true }));
    return out.Item ? recordOf<ReaderRecord>(out.Item) : undefined;
  }

  const readersQuery = (): QueryCommandInput => ({
    TableName: tableName,
    IndexName: 'gsi2',
    KeyConditionExpression: 'gsi2pk = :p',
    ExpressionAttributeValues: { ':p': READERS },
  });

  /** Every reader profile (gsi2 `READERS`, all pages): their workload, for bulk assignment. */
  async function allReaders(): Promise<ReaderRecord[]> {
    return (await queryAll(db, readersQuery())).map((i) => recordOf<ReaderRecord>(i));
  }

  /** One page of reader profiles (gsi2 `READERS`), for /progress. */
  async function readersPage(opts: { limit: number; cursor?: string }): Promise<Page<ReaderRecord>> {
    const scope = { index: 'gsi2' as const, partition: READERS };
    const out = await db.send(new QueryCommand({ ...readersQuery(), Limit: opts.limit, ExclusiveStartKey: decodeCursor(opts.cursor, scope) }));
    return { items: (out.Items ?? []).map((i) => recordOf<ReaderRecord>(i)), cursor: encodeCursor(out.LastEvaluatedKey, scope) };
  }

  return { ensureReader, getReader, allReaders, readersPage };
}
