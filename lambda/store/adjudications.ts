/**
 * Adjudication tasks: one item per case (`CASE#<id>` / `ADJUDICATION`), listed through gsi2
 * `ADJ#<status>` ordered by priority rank, then opening time. The task keeps which stored read each
 * label (A, B, and C … when k ≥ 3) stands for, and `readerIds`, everyone who held an assignment on the case when the task
 * opened (the adjudicators' list leaves a task out for them); those reader ids stay on the server
 * (the adjudication core's view drops them).
 */
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { TransactWriteItem } from '@aws-sdk/client-dynamodb';
import type { Priority } from '../../domain/rules/schema';
import { READ_LABELS, type DiscordanceReason, type ReadLabel } from '../../domain/rules/discordance';
import { keys } from './keys';
import { ConflictError } from '../runtime/errors';
import { auditEvent, auditPutTx } from './audit';
import { finalPut, type FinalRecord } from './finals';
import { idempotencyPutTx, type IdempotencyRecord } from './idempotency';
import { readUnchangedTx } from './reads';
import { count, TransactionCancelled, transact, type LabelledTx, type Table } from './table';
import { decodeCursor, encodeCursor, type Page } from './page';

export type AdjudicationStatus = 'open' | 'resolved';
export type { ReadLabel };

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
  /**
   * Which stored read each label stands for: A and B always, C … for every further read of a case
   * read more than twice (tasks opened before k ≥ 3 were compared whole hold A and B only).
   * Server-side only: never leaves the API (see the core's `view`).
   */
  reads: Partial<Record<ReadLabel, ReadRef>> & Record<'A' | 'B', ReadRef>;
  /** Server-side only: every reader holding an assignment on the case when the task opened (A and B included). */
  readerIds: string[];
  openedAt: string;
  resolvedAt?: string;
  resolvedBy?: string;
  reasonCode?: string;
}

/** The masked view of a task: no reader ids, labels only. */
/** An adjudicator's decision, written in one transaction (`resolveAdjudication`). */
export interface Resolution {
  task: AdjudicationTask;
  final: FinalRecord;
  /** The version of every read the task names, by label: the decision was taken on these. */
  readVersions: Partial<Record<ReadLabel, number>>;
  /** The case's registration time (its gsi1 sort key moves to the `final#` range). */
  registeredAt: string;
  idempotency?: IdempotencyRecord;
}

export type AdjudicationView = Omit<AdjudicationTask, 'reads' | 'readerIds' | 'resolvedBy'>;

// Safety first, then normal, then low; the rank prefix makes gsi2's string order the priority order.
const PRIORITY_RANK: Record<Priority, string> = { safety: '0', normal: '1', low: '2' };

const queueKeys = (status: AdjudicationStatus, priority: Priority, at: string, caseId: string) =>
  keys.adjudicationQueue(status, `${PRIORITY_RANK[priority]}${priority}`, at, caseId);

/** The labels a task has, in order (A, B, …). */
export function labelsOf(task: Pick<AdjudicationTask, 'reads'>): ReadLabel[] {
  return READ_LABELS.filter((l) => task.reads[l] !== undefined);
}

export interface OpenTaskInput {
  caseId: string;
  priority: Priority;
  /** Their details name the reads by the labels below (case-outcome.ts labels and compares them). */
  reasons: DiscordanceReason[];
  /** Every read decided on, with its label (at least A and B). */
  reads: ReadonlyArray<ReadRef & { label: ReadLabel }>;
  /** Every reader holding an assignment on the case (the two compared included or not: they are added). */
  readerIds: readonly string[];
  at: string;
}

/**
 * A Put for the transaction that stores the k-th submission (reader-api): opens the case's task
 * unless one is already open (a retried trigger must not reset it).
 */
export function openTaskPut(tableName: string, input: OpenTaskInput): TransactWriteItem {
  const reads = Object.fromEntries(input.reads.map((r) => [r.label, { readerId: r.readerId, readNo: r.readNo }])) as AdjudicationTask['reads'];
  if (!reads.A || !reads.B) throw new Error(`adjudication ${input.caseId}: a task needs reads A and B`);
  const task: AdjudicationTask = {
    caseId: input.caseId,
    status: 'open',
    priority: input.priority,
    reasons: input.reasons,
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

/** Adjudication tasks in the table. */
export function adjudicationStore({ db, tableName }: Table) {
  async function getTask(caseId: string): Promise<AdjudicationTask | undefined> {
    const out = await db.send(new GetCommand({ TableName: tableName, Key: keys.adjudication(caseId), ConsistentRead: true }));
    return out.Item ? fromItem(out.Item) : undefined;
  }

  /** Tasks with one status, highest priority first, oldest first within a priority. */
  async function listTasks(status: AdjudicationStatus,
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

  /** How many tasks are open (or resolved): gsi2 `ADJ#<status>`, COUNT. */
  function countAdjudications(status: AdjudicationStatus): Promise<number> {
    return count(db, { TableName: tableName, IndexName: 'gsi2', KeyConditionExpression: 'gsi2pk = :p', ExpressionAttributeValues: { ':p': `ADJ#${status}` } });
  }

  /**
   * One transaction: task open → resolved, the final put, the case closed, every read checked
   * unchanged since the adjudicator saw it, the audit event (and the idempotency record). Throws
   * `ConflictError` saying what moved: `already_resolved`, `read_changed`, `idempotency_in_use`, or
   * `conflict` (a concurrent transaction; retry).
   */
  async function resolveAdjudication(r: Resolution): Promise<void> {
    const { task, final } = r;
    const at = final.decidedAt;
    // The adjudicator decided on these versions; an amendment in between must be looked at first.
    const readChecks = labelsOf(task).map((l) => readUnchangedTx(tableName, { caseId: task.caseId, ...task.reads[l]!, version: r.readVersions[l]! }));
    const parts: LabelledTx[] = [
      { label: 'task', item: resolveTaskUpdate(tableName, task, final.decidedBy, final.reasonCode!, at) },
      { label: 'final', item: finalPut(tableName, final) },
      { label: 'case', item: closeCaseUpdate(tableName, task.caseId, r.registeredAt, at) },
      ...readChecks,
      auditPutTx(tableName, auditEvent({ at, actor: final.decidedBy, action: 'adjudication_resolved', caseId: task.caseId, detail: { reasonCode: final.reasonCode! } })),
      ...(r.idempotency ? [idempotencyPutTx(tableName, r.idempotency)] : []),
    ];
    try {
      await transact(db, parts);
    } catch (e) {
      if (!(e instanceof TransactionCancelled)) throw e;
      if (e.failed('task') || e.failed('final')) throw new ConflictError(`The adjudication of case ${task.caseId} is already resolved.`, 'already_resolved');
      // Only a failed condition means a read moved; a TransactionConflict on a read's check is
      // concurrency (e.g. a save in flight) and gets the retryable 'conflict' below.
      if (readChecks.some((c) => e.failed(c.label))) {
        throw new ConflictError('One of the reads was amended while you adjudicated; reload the case and decide again.', 'read_changed');
      }
      if (e.failed('idempotency')) throw new ConflictError('A request with this Idempotency-Key is in progress or done; retry to get its result.', 'idempotency_in_use');
      throw new ConflictError('Another change to this case happened at the same time; retry.', 'conflict');
    }
  }

  return { getTask, listTasks, countAdjudications, resolveAdjudication };
}
