/**
 * The one transaction that saves a read: the new current version and its history item, plus, as
 * the save requires, the idempotency record, the assignment's status, the reader's counters, the
 * case's submission count, the case outcome when this is the last required read, and audit events.
 * Either all of it is stored or none of it; the cancellation says which condition failed.
 */
import type { CaseOutcome } from '../../domain/rules/case-outcome';
import { assignmentStatusTx, type AssignmentRecord, type AssignmentStatus } from './assignments';
import { auditPutTx, type AuditEvent } from './audit';
import { caseOpenTx, countSubmissionTx, type CaseRecord } from './cases';
import { idempotencyPutTx, type IdempotencyRecord } from './idempotency';
import { outcomeTx, stateAfter } from './outcomes';
import { submitAssignmentTx } from './readers';
import { historyPutTx, readPutTx, readUnchangedTx, type ReadAction, type ReadRecord } from './reads';
import { transactOrRejected, type LabelledTx, type Table, type TransactRejected } from './table';

export interface ReadSave {
  read: ReadRecord;
  action: ReadAction;
  idempotency?: IdempotencyRecord;
  /** Moves the assignment (pending → in_progress on the first save; → submitted on the first submission). */
  assignment?: { record: AssignmentRecord; from: AssignmentStatus; to: AssignmentStatus };
  /** First submission: the reader's open count goes down, submitted count up. */
  countReaderSubmission?: boolean;
  /** An amendment: allowed only while the case is still open (its outcome not yet decided). */
  requireCaseOpen?: boolean;
  /** First submission of a first read: the case's count, as seen when the save was planned. */
  countCaseSubmission?: Pick<CaseRecord, 'caseId' | 'submittedCount' | 'registeredAt'>;
  /** Last required read: the outcome, and the other reads it was decided on (which must not have changed). */
  outcome?: { decision: CaseOutcome; decidedOn: ReadonlyArray<Pick<ReadRecord, 'caseId' | 'readerId' | 'readNo' | 'version'>> };
  audit?: AuditEvent[];
}

/** Which parts of the save failed their conditions; `conflictOnly` when only concurrency got in the way. */
export type SaveRejected = TransactRejected;

export function readSaveTx(tableName: string, s: ReadSave): LabelledTx[] {
  const at = s.read.updatedAt;
  const parts: LabelledTx[] = [readPutTx(tableName, s.read), historyPutTx(tableName, s.read, s.action)];
  if (s.idempotency) parts.push(idempotencyPutTx(tableName, s.idempotency));
  if (s.assignment) parts.push(assignmentStatusTx(tableName, s.assignment.record, s.assignment.from, s.assignment.to, at));
  if (s.countReaderSubmission) parts.push(submitAssignmentTx(tableName, s.read.readerId, at));
  if (s.requireCaseOpen) parts.push(caseOpenTx(tableName, s.read.caseId));
  if (s.countCaseSubmission) parts.push(countSubmissionTx(tableName, s.countCaseSubmission, at, s.outcome ? stateAfter(s.outcome.decision) : undefined));
  if (s.outcome) {
    parts.push(...s.outcome.decidedOn.map((r) => readUnchangedTx(tableName, r)));
    parts.push(...outcomeTx(tableName, s.read.caseId, s.outcome.decision, s.read.formVersion, at));
  }
  for (const e of s.audit ?? []) parts.push(auditPutTx(tableName, e));
  return parts;
}

/** Read saves in the table. */
export function submissionStore({ db, tableName }: Table) {
  const writeReadSave = (s: ReadSave): Promise<SaveRejected | undefined> => transactOrRejected(db, readSaveTx(tableName, s));

  return { writeReadSave };
}
