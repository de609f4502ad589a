/**
 * Export jobs (`EXPORT#<id>` / `META`) and the stable reader pseudonyms used in exports.
 *
 * Pseudonyms: every person who appears in an export (readers, adjudicators) gets a code R001, R002…
 * the first time an export needs one, in order of first appearance (ties by id). A code is
 * allocated by one transaction on a counter plus an `attribute_not_exists` put, so two exports
 * racing never hand out the same code, and a code never changes: R007 in this year's export is
 * R007 next year. The mapping lives only in the table (readable by admins), never in the export.
 */
import { GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ConflictError } from '../runtime/errors';
import { auditPutTx, type AuditEvent } from './audit';
import { keys, pad } from './keys';
import { idempotencyPutTx, type IdempotencyRecord } from './idempotency';
import { TransactionCancelled, isConditionFailed, queryAll, transact, type LabelledTx, type Table } from './table';

export type ExportStatus = 'queued' | 'running' | 'complete' | 'failed';
export const EXPORT_FORMATS = ['csv', 'json'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface ExportFile {
  name: string;
  key: string;
  bytes: number;
  contentType: string;
}

/**
 * One export request. Lifecycle: `queued` (written by POST /exports; the item's insert is what
 * the worker is triggered by) → `running` (a worker took it, holding a lease until `leaseUntil`)
 * → `complete` or `failed`; or, when the worker's time runs out first, `running` → `queued`
 * again (`requeuedAt`: that update's stream record starts the next worker, which resumes from
 * `checkpoint`). A running job whose lease has passed (its worker timed out or died) may be taken
 * again by the stream's retry, which also resumes from the checkpoint. `attempts` tells the takers
 * apart: only the attempt that took the job may save a checkpoint, requeue or finish it, so a
 * stale worker can never write over one that now owns the job.
 */
export interface ExportJob {
  exportId: string;
  status: ExportStatus;
  requestedBy: string;
  createdAt: string;
  formats: ExportFormat[];
  startedAt?: string;
  leaseUntil?: string;
  attempts?: number;
  completedAt?: string;
  files?: ExportFile[];
  counts?: { cases: number; rows: number; reads: number };
  /** Failure class only (never data). */
  error?: string;
  /** Where a cut-off run resumes (opaque to the store: the export worker's, gzipped). */
  checkpoint?: Uint8Array;
  /** Cases exported up to the checkpoint. */
  progressCases?: number;
  requeuedAt?: string;
}

export type ExportJobOutcome =
  | { status: 'complete'; files: ExportFile[]; counts: NonNullable<ExportJob['counts']>; at: string }
  | { status: 'failed'; error: string; at: string };

function fromItem(item: Record<string, unknown>): ExportJob {
  const { pk: _pk, sk: _sk, type: _type, ...job } = item;
  return job as unknown as ExportJob;
}

// ---------------------------------------------------------------------------------------------
// Pseudonyms.

export const pseudonymCode = (n: number): string => `R${pad(n, 3)}`;

/** At most this many new codes per transaction (DynamoDB allows 100 items; one is the counter). */
const BATCH = 99;

/** Back in the queue: the update's stream record (status `queued`) starts the next worker. */
const REQUEUE = 'SET #status = :queued, requeuedAt = :at REMOVE leaseUntil';

/** Export jobs and reader pseudonyms in the table. */
export function exportStore({ db, tableName }: Table) {
  /**
   * Queues a new export with its audit event (the worker starts on this insert), and the request's
   * idempotency record when it has a key: a retry then finds the job instead of queuing another.
   */
  async function createExportJob(job: Pick<ExportJob, 'exportId' | 'requestedBy' | 'createdAt' | 'formats'>, audit: AuditEvent, idempotency?: IdempotencyRecord): Promise<void> {
    const put: LabelledTx = {
      label: 'job',
      item: { Put: { TableName: tableName, Item: { ...keys.exportJob(job.exportId), type: 'export', ...job, status: 'queued' }, ConditionExpression: 'attribute_not_exists(pk)' } },
    };
    try {
      await transact(db, [put, auditPutTx(tableName, audit), ...(idempotency ? [idempotencyPutTx(tableName, idempotency)] : [])]);
    } catch (e) {
      if (e instanceof TransactionCancelled && e.failed('job')) throw new ConflictError(`Export ${job.exportId} already exists.`, 'export_exists');
      if (e instanceof TransactionCancelled && e.failed('idempotency')) throw new ConflictError('A request with this Idempotency-Key is in progress or done; retry to get its result.', 'idempotency_in_use');
      throw e;
    }
  }

  /**
   * Takes a job for one worker: from `queued`, or from `running` once its lease has passed. Returns
   * the job as taken (with this taker's `attempts`), or undefined when it is not the taker's to run
   * (another worker holds it, it is finished, or it does not exist): a redelivered trigger is a no-op.
   */
  async function takeExportJob(exportId: string, lease: { at: string; until: string }): Promise<ExportJob | undefined> {
    try {
      const out = await db.send(
        new UpdateCommand({
          TableName: tableName,
          Key: keys.exportJob(exportId),
          UpdateExpression: 'SET #status = :running, startedAt = :at, leaseUntil = :until ADD attempts :one',
          ConditionExpression: 'attribute_exists(pk) AND (#status = :queued OR (#status = :running AND leaseUntil < :at))',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':running': 'running', ':queued': 'queued', ':at': lease.at, ':until': lease.until, ':one': 1 },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return fromItem(out.Attributes!);
    } catch (e) {
      if (isConditionFailed(e)) return undefined;
      throw e;
    }
  }

  /**
   * Records the outcome of the attempt that took the job, together with its audit event (one
   * transaction, so a retry never finds a finished job without its audit line). Returns false, and
   * writes nothing, when that attempt no longer owns the job: its lease passed and a retry took over.
   */
  async function finishExportJob(exportId: string,
    attempt: number,
    outcome: ExportJobOutcome,
    audit: AuditEvent,
  ): Promise<boolean> {
    const fields = outcome.status === 'complete' ? { files: outcome.files, counts: outcome.counts } : { error: outcome.error };
    const names = Object.keys(fields);
    const job: LabelledTx = {
      label: 'job',
      item: {
        Update: {
          TableName: tableName,
          Key: keys.exportJob(exportId),
          UpdateExpression: `SET #status = :status, completedAt = :at, ${names.map((n) => `#${n} = :${n}`).join(', ')} REMOVE leaseUntil, checkpoint`,
          ConditionExpression: '#status = :running AND attempts = :attempt',
          ExpressionAttributeNames: { '#status': 'status', ...Object.fromEntries(names.map((n) => [`#${n}`, n])) },
          ExpressionAttributeValues: {
            ':status': outcome.status,
            ':running': 'running',
            ':attempt': attempt,
            ':at': outcome.at,
            ...Object.fromEntries(Object.entries(fields).map(([n, v]) => [`:${n}`, v])),
          },
        },
      },
    };
    try {
      await transact(db, [job, auditPutTx(tableName, audit)]);
      return true;
    } catch (e) {
      if (e instanceof TransactionCancelled && e.failed('job')) return false;
      throw e;
    }
  }

  /**
   * One conditional update of the job; false, writing nothing, when its condition does not hold.
   * `#status` names the status attribute in both expressions.
   */
  async function updateJobIf(exportId: string, update: string, condition: string, values: Record<string, unknown>): Promise<boolean> {
    try {
      await db.send(
        new UpdateCommand({
          TableName: tableName,
          Key: keys.exportJob(exportId),
          UpdateExpression: update,
          ConditionExpression: condition,
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (e) {
      if (isConditionFailed(e)) return false;
      throw e;
    }
  }

  /**
   * One update of the job by the attempt that owns it (`status = running AND attempts = :attempt`);
   * false, writing nothing, when another attempt has taken the job over.
   */
  const updateOwned = (exportId: string, attempt: number, update: string, values: Record<string, unknown>): Promise<boolean> =>
    updateJobIf(exportId, update, '#status = :running AND attempts = :attempt', { ':running': 'running', ':attempt': attempt, ...values });

  /**
   * Saves the checkpoint of a running attempt (or, without one, only checks that the attempt still
   * owns the job: the last step before its files are completed). False when it no longer owns it.
   */
  const saveExportCheckpoint = (exportId: string, attempt: number, checkpoint?: { data: Uint8Array; cases: number }): Promise<boolean> =>
    checkpoint
      ? updateOwned(exportId, attempt, 'SET checkpoint = :cp, progressCases = :cases', { ':cp': checkpoint.data, ':cases': checkpoint.cases })
      : updateOwned(exportId, attempt, 'SET attempts = :attempt', {});

  /**
   * Puts a running attempt's job back in the queue (its Lambda time is running out): the update's
   * stream record (status `queued`) starts the next worker, which resumes from the saved checkpoint.
   * Idempotent for the attempt: a job this attempt already requeued (the SDK's retry of a write whose
   * answer was lost) is requeued again, which only emits one more record. So false means exactly
   * that another attempt has taken the job (or it is gone).
   */
  const requeueExportJob = (exportId: string, attempt: number, at: string): Promise<boolean> =>
    updateJobIf(exportId, REQUEUE, 'attempts = :attempt AND #status IN (:running, :queued)', { ':queued': 'queued', ':running': 'running', ':attempt': attempt, ':at': at });

  /**
   * Puts a job that nobody is running back in the queue, for a poller that found it so (`seen`, as it
   * read it): `running` past its lease (its worker died, or could not requeue it), or `queued` with no
   * worker started (the stream record was lost). The update's record starts a worker, which takes the
   * job as a new attempt and resumes from the checkpoint. Conditional on the job being exactly as seen
   * (same status, attempt and requeue time; a running one still past its lease at `at`), so a worker
   * that took it meanwhile is never disturbed. False, writing nothing, when it changed.
   */
  async function nudgeExportJob(exportId: string, seen: Pick<ExportJob, 'status' | 'attempts' | 'requeuedAt'>, at: string): Promise<boolean> {
    if (seen.status !== 'running' && seen.status !== 'queued') return false;
    const values: Record<string, unknown> = { ':queued': 'queued', ':at': at, ':seen': seen.status };
    const conds = ['#status = :seen'];
    if (seen.attempts === undefined) conds.push('attribute_not_exists(attempts)');
    else {
      conds.push('attempts = :attempts');
      values[':attempts'] = seen.attempts;
    }
    if (seen.status === 'running') conds.push('leaseUntil < :at');
    else if (seen.requeuedAt === undefined) conds.push('attribute_not_exists(requeuedAt)');
    else {
      conds.push('requeuedAt = :requeuedAt');
      values[':requeuedAt'] = seen.requeuedAt;
    }
    return updateJobIf(exportId, REQUEUE, conds.join(' AND '), values);
  }

  async function getExportJob(exportId: string): Promise<ExportJob | undefined> {
    const out = await db.send(new GetCommand({ TableName: tableName, Key: keys.exportJob(exportId), ConsistentRead: true }));
    return out.Item ? fromItem(out.Item) : undefined;
  }

  async function loadPseudonyms(): Promise<{ codes: Map<string, string>; counter: number }> {
    const codes = new Map<string, string>();
    let counter = 0;
    const items = await queryAll(db, { TableName: tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': keys.pseudonymCounter().pk }, ConsistentRead: true });
    for (const item of items) {
      if (item.sk === keys.pseudonymCounter().sk) counter = Number(item.n);
      else codes.set(String(item.readerId), String(item.code));
    }
    return { codes, counter };
  }

  /**
   * Codes for `readerIds` (in the order given: first appearance), allocating the missing ones.
   * Retries when another export allocated codes at the same time.
   */
  async function ensurePseudonyms(readerIds: readonly string[], at: string): Promise<Map<string, string>> {
    for (let attempt = 0; ; attempt++) {
      const { codes, counter } = await loadPseudonyms();
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

  /**
   * One person's code (the viewer's watermark shows it): a single read when it exists, else
   * allocated exactly as an export would, so the watermark and every export agree.
   */
  async function pseudonymOf(readerId: string, at: string): Promise<string> {
    const out = await db.send(new GetCommand({ TableName: tableName, Key: keys.pseudonym(readerId), ConsistentRead: true }));
    if (typeof out.Item?.code === 'string') return out.Item.code;
    return (await ensurePseudonyms([readerId], at)).get(readerId)!;
  }

  return { createExportJob, takeExportJob, saveExportCheckpoint, requeueExportJob, nudgeExportJob, finishExportJob, getExportJob, ensurePseudonyms, pseudonymOf };
}
