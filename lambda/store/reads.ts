/**
 * Reads: the current version (`CASE#<id>` / `READ#<reader>#<readNo>`) and an append-only history
 * (`HIST#<reader>#<readNo>#<version>`), written together in one transaction. The current item moves
 * only from the version the writer last saw (optimistic concurrency, the API's If-Match); a history
 * item is put only if absent and never updated, so every saved version survives exactly once.
 */
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { NormalisedAnswers } from '../../domain/answers';
import { keys, pad } from './keys';
import { queryAll, recordOf, type LabelledTx, type Table } from './table';

/** `withdrawn`: a draft whose assignment a coordinator withdrew (kept, never exported or decided on). */
export type ReadStatus = 'draft' | 'submitted' | 'withdrawn';

export interface ReadRecord {
  caseId: string;
  readerId: string;
  readNo: number;
  /** 1 for the first save, +1 for every save after. */
  version: number;
  status: ReadStatus;
  answers: NormalisedAnswers;
  formId: string;
  formVersion: string;
  createdAt: string;
  updatedAt: string;
  /** First submission time (an amendment keeps it). */
  submittedAt?: string;
}

/** What each history item adds: how that version came about. */
export type ReadAction = 'save' | 'submit' | 'amend' | 'withdraw';
export interface ReadVersionRecord extends ReadRecord {
  action: ReadAction;
}

/** Writes `read` as the current version, only if the stored one is `read.version - 1` (or absent for version 1). */
export function readPutTx(tableName: string, read: ReadRecord): LabelledTx {
  const first = read.version === 1;
  return {
    label: 'read',
    item: {
      Put: {
        TableName: tableName,
        Item: { ...keys.read(read.caseId, read.readerId, read.readNo), type: 'read', ...read },
        ConditionExpression: first ? 'attribute_not_exists(pk)' : 'version = :expected',
        ...(first ? {} : { ExpressionAttributeValues: { ':expected': read.version - 1 } }),
      },
    },
  };
}

export function historyPutTx(tableName: string, read: ReadRecord, action: ReadAction): LabelledTx {
  return {
    label: 'history',
    item: {
      Put: {
        TableName: tableName,
        Item: { ...keys.readVersion(read.caseId, read.readerId, read.readNo, read.version), type: 'readVersion', ...read, action },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
  };
}

/** Guards a decision taken on another reader's submitted read against that read changing meanwhile. */
export function readUnchangedTx(tableName: string, read: Pick<ReadRecord, 'caseId' | 'readerId' | 'readNo' | 'version'>): LabelledTx {
  return {
    label: `other-read:${read.readerId}`,
    item: {
      ConditionCheck: {
        TableName: tableName,
        Key: keys.read(read.caseId, read.readerId, read.readNo),
        ConditionExpression: 'version = :v AND #status = :submitted',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':v': read.version, ':submitted': 'submitted' },
      },
    },
  };
}

/** Reads and their history in the table. */
export function readStore({ db, tableName }: Table) {
  async function getRead(caseId: string, readerId: string, readNo: number): Promise<ReadRecord | undefined> {
    const out = await db.send(new GetCommand({ TableName: tableName, Key: keys.read(caseId, readerId, readNo), ConsistentRead: true }));
    return out.Item ? recordOf<ReadRecord>(out.Item) : undefined;
  }

  /** Every current read of a case (all readers, all readNos). Server-side only: never returned to a reader. */
  async function listReads(caseId: string): Promise<ReadRecord[]> {
    const out = await db.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': keys.case(caseId).pk, ':prefix': 'READ#' },
        ConsistentRead: true,
      }),
    );
    return (out.Items ?? []).map((i) => recordOf<ReadRecord>(i));
  }

  /** The saved versions of one read, oldest first. */
  async function readHistory(caseId: string, readerId: string, readNo: number): Promise<ReadVersionRecord[]> {
    const items = await queryAll(db, {
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': keys.case(caseId).pk, ':prefix': `HIST#${readerId}#${pad(readNo, 2)}#` },
      ConsistentRead: true,
    });
    return items.map((i) => recordOf<ReadVersionRecord>(i));
  }

  return { getRead, listReads, readHistory };
}
