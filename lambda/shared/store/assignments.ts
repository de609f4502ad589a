/**
 * Assignments (`CASE#<id>` / `ASSIGN#<reader>#<readNo>`), listed per reader through gsi1
 * `QUEUE#<reader>` / `<status>#<assignedAt>#<caseId>`.
 *
 * readNo 1 is a reader's first (independent) read of a case and takes one of the case's k slots;
 * 2+ are hidden repeats (intra-reader agreement). `repeat` stays on the server: queue entries and
 * every reader-facing response leave readNo and repeat out, so a repeat looks like any assignment.
 */
import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { keys } from './keys';
import { decodeCursor, encodeCursor, type Page } from './page';
import { recordOf, type LabelledTx } from './table';

export type AssignmentStatus = 'pending' | 'in_progress' | 'submitted';

export interface AssignmentRecord {
  caseId: string;
  readerId: string;
  readNo: number;
  status: AssignmentStatus;
  assignedAt: string;
  updatedAt: string;
  submittedAt?: string;
  /** 'self' for "claim next", otherwise the coordinator's sub or 'system'. */
  assignedBy: string;
  /** Server-side only. */
  repeat: boolean;
}

/** What a reader sees of an assignment. */
export interface QueueEntry {
  caseId: string;
  status: AssignmentStatus;
  assignedAt: string;
  updatedAt: string;
  submittedAt?: string;
}

export const toQueueEntry = (a: AssignmentRecord): QueueEntry => ({
  caseId: a.caseId,
  status: a.status,
  assignedAt: a.assignedAt,
  updatedAt: a.updatedAt,
  ...(a.submittedAt ? { submittedAt: a.submittedAt } : {}),
});

const fromItem = (item: Record<string, unknown>) => recordOf<AssignmentRecord>(item);

/** A reader's assignments on one case (first read and any repeats), readNo ascending. */
export async function assignmentsOf(db: DynamoDBDocumentClient, tableName: string, caseId: string, readerId: string): Promise<AssignmentRecord[]> {
  const out = await db.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': keys.case(caseId).pk, ':prefix': `ASSIGN#${readerId}#` },
      ConsistentRead: true,
    }),
  );
  return (out.Items ?? []).map(fromItem);
}

/** The assignment a reader works on for a case: the latest readNo (a repeat supersedes the first read). */
export async function currentAssignment(db: DynamoDBDocumentClient, tableName: string, caseId: string, readerId: string): Promise<AssignmentRecord | undefined> {
  return (await assignmentsOf(db, tableName, caseId, readerId)).at(-1);
}

/** One page of a reader's queue (in progress, then pending, then submitted; oldest first within each). */
export async function queuePage(
  db: DynamoDBDocumentClient,
  tableName: string,
  readerId: string,
  opts: { limit: number; cursor?: string; status?: AssignmentStatus },
): Promise<Page<AssignmentRecord>> {
  const scope = { index: 'gsi1' as const, partition: `QUEUE#${readerId}` };
  const out = await db.send(
    new QueryCommand({
      TableName: tableName,
      IndexName: 'gsi1',
      KeyConditionExpression: opts.status ? 'gsi1pk = :p AND begins_with(gsi1sk, :s)' : 'gsi1pk = :p',
      ExpressionAttributeValues: { ':p': scope.partition, ...(opts.status ? { ':s': `${opts.status}#` } : {}) },
      Limit: opts.limit,
      ExclusiveStartKey: decodeCursor(opts.cursor, scope),
    }),
  );
  return { items: (out.Items ?? []).map(fromItem), cursor: encodeCursor(out.LastEvaluatedKey, scope) };
}

/**
 * The reader's oldest unfinished assignment: one in progress first, else the oldest pending. One
 * query: queue sort keys start with the status, and 'in_progress' < 'pending' < 'submitted'.
 */
export async function firstOpenAssignment(db: DynamoDBDocumentClient, tableName: string, readerId: string): Promise<AssignmentRecord | undefined> {
  const out = await db.send(
    new QueryCommand({
      TableName: tableName,
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :p AND gsi1sk < :submitted',
      ExpressionAttributeValues: { ':p': `QUEUE#${readerId}`, ':submitted': 'submitted#' },
      Limit: 1,
    }),
  );
  return out.Items?.[0] ? fromItem(out.Items[0]) : undefined;
}

/** Creates an assignment; fails if the reader already holds this (case, readNo). */
export function assignmentPutTx(tableName: string, a: AssignmentRecord): LabelledTx {
  return {
    label: 'assignment',
    item: {
      Put: {
        TableName: tableName,
        Item: {
          ...keys.assignment(a.caseId, a.readerId, a.readNo),
          ...keys.queueEntry(a.readerId, a.status, a.assignedAt, a.caseId),
          type: 'assignment',
          ...a,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
  };
}

/**
 * Moves an assignment to `to`, only from `from` (so two concurrent first saves or submits move it
 * once), keeping its place in the queue's time order.
 */
export function assignmentStatusTx(tableName: string, a: AssignmentRecord, from: AssignmentStatus, to: AssignmentStatus, at: string): LabelledTx {
  return {
    label: 'assignment',
    item: {
      Update: {
        TableName: tableName,
        Key: keys.assignment(a.caseId, a.readerId, a.readNo),
        UpdateExpression: `SET #status = :to, gsi1sk = :gsk, updatedAt = :at${to === 'submitted' ? ', submittedAt = :at' : ''}`,
        ConditionExpression: '#status = :from',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':to': to, ':from': from, ':gsk': keys.queueEntry(a.readerId, to, a.assignedAt, a.caseId).gsi1sk, ':at': at },
      },
    },
  };
}
