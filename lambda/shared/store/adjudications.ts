/**
 * Adjudication tasks: one item per case (`CASE#<id>` / `ADJUDICATION`), listed through gsi2
 * `ADJ#<status>` ordered by priority rank, then opening time. The task keeps which stored read is
 * "A" and which is "B", and `readerIds`, everyone who held an assignment on the case when the task
 * opened (the adjudicators' list leaves a task out for them); those reader ids stay on the server
 * (the adjudication core's view drops them).
 */
import { GetCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { TransactWriteItem } from '@aws-sdk/client-dynamodb';
import type { Priority } from '../../../lib/config/reading';
import type { DiscordanceReason } from '../domain/discordance';
import { hash32 } from '../domain/assignment';
import { keys } from './keys';
import { decodeCursor, encodeCursor, type Page } from './page';

export type AdjudicationStatus = 'open' | 'resolved';
export type ReadLabel = 'A' | 'B';

/** Which stored read a label stands for. */
export interface ReadRef {
  readerId: string;
  readNo: number;
}

export interface AdjudicationTask {
  caseId: string;
  status: AdjudicationStatus;
  priority: Priority;
  reasons: DiscordanceReason[];
  /** Server-side only: never leaves the API (see the core's `view`). */
  reads: Record<ReadLabel, ReadRef>;
  /** Server-side only: every reader holding an assignment on the case when the task opened (A and B included). */
  readerIds: string[];
  openedAt: string;
  resolvedAt?: string;
  resolvedBy?: string;
  reasonCode?: string;
}

/** The masked view of a task: no reader ids, labels only. */
export type AdjudicationView = Omit<AdjudicationTask, 'reads' | 'readerIds' | 'resolvedBy'>;

// Safety first, then normal, then low; the rank prefix makes gsi2's string order the priority order.
const PRIORITY_RANK: Record<Priority, string> = { safety: '0', normal: '1', low: '2' };

const queueKeys = (status: AdjudicationStatus, priority: Priority, at: string, caseId: string) =>
  keys.adjudicationQueue(status, `${PRIORITY_RANK[priority]}${priority}`, at, caseId);

/**
 * Labels A and B by a hash of case and reader, so that "A" is neither always the first submitter
 * nor always the same reader across cases (either would let an adjudicator learn who is who).
 */
export function maskReads(caseId: string, first: ReadRef, second: ReadRef): Record<ReadLabel, ReadRef> {
  const h = (r: ReadRef) => hash32(`${caseId}\u0000${r.readerId}\u0000${r.readNo}`);
  return h(first) <= h(second) ? { A: first, B: second } : { A: second, B: first };
}

/** 'x: read A <a>, read B <b>' → 'x: read A <b>, read B <a>' (the domain's detail format). */
function swapReadNames(detail: string): string {
  const a = detail.indexOf('read A ');
  const b = detail.indexOf(', read B ');
  // A free-text answer could itself contain the separator: then only rename, never mis-split.
  if (a < 0 || b < a || detail.indexOf(', read B ', b + 1) >= 0) return detail.replace(/\bread ([AB])\b/g, (_, l: string) => `read ${l === 'A' ? 'B' : 'A'}`);
  return `${detail.slice(0, a)}read A ${detail.slice(b + ', read B '.length)}, read B ${detail.slice(a + 'read A '.length, b)}`;
}

export interface OpenTaskInput {
  caseId: string;
  priority: Priority;
  reasons: DiscordanceReason[];
  /** The two independent reads that were compared, in any order. */
  reads: [ReadRef, ReadRef];
  /** Every reader holding an assignment on the case (the two compared included or not: they are added). */
  readerIds: readonly string[];
  at: string;
}

/**
 * A Put for the transaction that stores the k-th submission (reader-api): opens the case's task
 * unless one is already open (a retried trigger must not reset it).
 */
export function openTaskPut(tableName: string, input: OpenTaskInput): TransactWriteItem {
  const reads = maskReads(input.caseId, input.reads[0], input.reads[1]);
  const task: AdjudicationTask = {
    caseId: input.caseId,
    status: 'open',
    priority: input.priority,
    // The reasons' details name the compared reads "read A" and "read B" in the order they were
    // compared; when masking swapped them, swap the names so that "A" means the same read everywhere.
    reasons: reads.A === input.reads[0] ? input.reasons : input.reasons.map((r) => ({ ...r, detail: swapReadNames(r.detail) })),
    reads,
    readerIds: [...new Set([...input.reads.map((r) => r.readerId), ...input.readerIds])],
    openedAt: input.at,
  };
  return {
    Put: {
      TableName: tableName,
      Item: {
        ...keys.adjudication(input.caseId),
        ...queueKeys('open', input.priority, input.at, input.caseId),
        type: 'adjudication',
        ...task,
      } as never,
      ConditionExpression: 'attribute_not_exists(pk) OR #status <> :open',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':open': 'open' } as never,
    },
  };
}

/** The update of the transaction that resolves a task: only while it is still open. */
export function resolveTaskUpdate(tableName: string, task: AdjudicationTask, by: string, reasonCode: string, at: string): TransactWriteItem {
  const q = queueKeys('resolved', task.priority, at, task.caseId);
  return {
    Update: {
      TableName: tableName,
      Key: keys.adjudication(task.caseId) as never,
      UpdateExpression: 'SET #status = :resolved, resolvedAt = :at, resolvedBy = :by, reasonCode = :reason, gsi2pk = :gpk, gsi2sk = :gsk',
      ConditionExpression: '#status = :open',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':resolved': 'resolved',
        ':open': 'open',
        ':at': at,
        ':by': by,
        ':reason': reasonCode,
        ':gpk': q.gsi2pk,
        ':gsk': q.gsi2sk,
      } as never,
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    },
  };
}

/**
 * The case leaves `adjudication` for `final` in the resolving transaction (its gsi1 entry moves to
 * the `final#` range that progress counts).
 */
export function closeCaseUpdate(tableName: string, caseId: string, registeredAt: string, at: string): TransactWriteItem {
  return {
    Update: {
      TableName: tableName,
      Key: keys.case(caseId) as never,
      UpdateExpression: 'SET #state = :final, gsi1sk = :gsk, updatedAt = :at',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':final': 'final', ':gsk': keys.casesByState('final', registeredAt, caseId).gsi1sk, ':at': at } as never,
    },
  };
}

function fromItem(item: Record<string, unknown>): AdjudicationTask {
  const { caseId, status, priority, reasons, reads, readerIds, openedAt, resolvedAt, resolvedBy, reasonCode } = item as unknown as AdjudicationTask;
  return { caseId, status, priority, reasons, reads, readerIds, openedAt, resolvedAt, resolvedBy, reasonCode };
}

export async function getTask(db: DynamoDBDocumentClient, tableName: string, caseId: string): Promise<AdjudicationTask | undefined> {
  const out = await db.send(new GetCommand({ TableName: tableName, Key: keys.adjudication(caseId), ConsistentRead: true }));
  return out.Item ? fromItem(out.Item) : undefined;
}

/** Tasks with one status, highest priority first, oldest first within a priority. */
export async function listTasks(
  db: DynamoDBDocumentClient,
  tableName: string,
  status: AdjudicationStatus,
  opts: { limit: number; cursor?: string },
): Promise<Page<AdjudicationTask>> {
  const gsi2pk = `ADJ#${status}`;
  const out = await db.send(
    new QueryCommand({
      TableName: tableName,
      IndexName: 'gsi2',
      KeyConditionExpression: 'gsi2pk = :pk',
      ExpressionAttributeValues: { ':pk': gsi2pk },
      Limit: opts.limit,
      ExclusiveStartKey: decodeCursor(opts.cursor, { index: 'gsi2', partition: gsi2pk }),
    }),
  );
  return { items: (out.Items ?? []).map(fromItem), cursor: encodeCursor(out.LastEvaluatedKey, { index: 'gsi2', partition: gsi2pk }) };
}
