/**
 * The adjudication core's ports over the reading table (DynamoDB adapters; the SDK stays here).
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConflictError } from '../runtime/errors';
import { closeCaseUpdate, getTask, labelsOf, listTasks, resolveTaskUpdate } from '../store/adjudications';
import { assignmentsOf } from '../store/assignments';
import { auditEvent, auditPutTx } from '../store/audit';
import { caseConflictFacts, getCase } from '../store/cases';
import { caseFacts } from '../../domain/case';
import { finalPut, getFinal } from '../store/finals';
import { IDEMPOTENCY_TTL_SECONDS, getIdempotency, idempotencyPutTx } from '../store/idempotency';
import { getRead, readUnchangedTx } from '../store/reads';
import { TransactionCancelled, transact, type LabelledTx } from '../store/table';
import type { AdjudicationPorts, ResolveCommand } from './core';

export function adjudicationPorts(db: DynamoDBDocumentClient, tableName: string): AdjudicationPorts {
  return {
    listTasks: (status, opts) => listTasks(db, tableName, status, opts),
    getTask: (caseId) => getTask(db, tableName, caseId),
    getRead: async (caseId, ref) => {
      const read = await getRead(db, tableName, caseId, ref.readerId, ref.readNo);
      return read && read.status === 'submitted' ? { answers: read.answers, version: read.version } : undefined;
    },
    getCase: async (caseId) => {
      const c = await getCase(db, tableName, caseId);
      return c ? { facts: caseFacts(c), registeredAt: c.registeredAt, ...(c.site ? { site: c.site } : {}), ...(c.excluded ? { excluded: c.excluded } : {}) } : undefined;
    },
    conflictFacts: (caseIds) => caseConflictFacts(db, tableName, caseIds),
    isReaderOfCase: async (caseId, readerId) => (await assignmentsOf(db, tableName, caseId, readerId)).length > 0,
    getFinal: (caseId) => getFinal(db, tableName, caseId),
    getIdempotent: async (actorId, key) => {
      const r = await getIdempotency(db, tableName, actorId, key);
      return r ? { fingerprint: r.requestHash, status: r.statusCode, body: r.body } : undefined;
    },
    resolve: (cmd) => resolve(db, tableName, cmd),
  };
}

async function resolve(db: DynamoDBDocumentClient, tableName: string, cmd: ResolveCommand): Promise<void> {
  const { task, final } = cmd;
  const at = final.decidedAt;
  // The adjudicator decided on these versions; an amendment in between must be looked at first.
  const readChecks = labelsOf(task).map((l) => readUnchangedTx(tableName, { caseId: task.caseId, ...task.reads[l]!, version: cmd.readVersions[l]! }));
  const parts: LabelledTx[] = [
    { label: 'task', item: resolveTaskUpdate(tableName, task, final.decidedBy, final.reasonCode!, at) },
    { label: 'final', item: finalPut(tableName, final) },
    { label: 'case', item: closeCaseUpdate(tableName, task.caseId, cmd.registeredAt, at) },
    ...readChecks,
    auditPutTx(tableName, auditEvent({ at, actor: final.decidedBy, action: 'adjudication_resolved', caseId: task.caseId, detail: { reasonCode: final.reasonCode! } })),
  ];
  if (cmd.idempotency) {
    const { key, record } = cmd.idempotency;
    parts.push(
      idempotencyPutTx(tableName, {
        readerId: final.decidedBy,
        key,
        requestHash: record.fingerprint,
        statusCode: record.status,
        body: record.body,
        createdAt: at,
        ttl: Math.floor(Date.parse(at) / 1000) + IDEMPOTENCY_TTL_SECONDS,
      }),
    );
  }
  try {
    await transact(db, parts);
  } catch (e) {
    if (!(e instanceof TransactionCancelled)) throw e;
    if (e.failed('task') || e.failed('final')) throw new ConflictError(`The adjudication of case ${task.caseId} is already resolved.`, 'already_resolved');
    // Only a failed condition means a read moved; a TransactionConflict on a read's check is
    // concurrency (e.g. a save in flight) and gets the retryable 'conflict' below.
    if (readChecks.some((r) => e.failed(r.label))) {
      throw new ConflictError('One of the reads was amended while you adjudicated; reload the case and decide again.', 'read_changed');
    }
    if (e.failed('idempotency')) throw new ConflictError('A request with this Idempotency-Key is in progress or done; retry to get its result.', 'idempotency_in_use');
    throw new ConflictError('Another change to this case happened at the same time; retry.', 'conflict');
  }
}
