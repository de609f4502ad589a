/**
 * New assignments, as one transaction each (at most 5 items): the case's slot for a first read
 * (never past k, never the same reader twice, never an excluded or same-site reader), the
 * assignment with its REF item, the reader's open-work cap, and the audit event (`case_claimed` or
 * `case_assigned`), so GET /audit shows who took what. `newAssignmentTxs` builds it for both "claim
 * next" (`claimSlot`, reader API) and bulk assignment (coordinator API), which differ only in how
 * they react to a refusal.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { assignmentPutTxs, newAssignmentRef, type AssignmentRecord } from './assignments';
import type { SlotTaker } from '../../domain/assignment/access';
import { takeSlotTx, toClaimable, type CaseRecord, type ClaimableCase } from './cases';
import { auditEvent, auditPutTx, type AuditEvent } from './audit';
import { openAssignmentTx } from './readers';
import { transact, TransactionCancelled, type LabelledTx } from './table';

/**
 * The items of one new assignment (labels `case`, `assignment`, `ref`, `reader`, audit): `slot` for a
 * first read (a hidden repeat takes none), the cap on the reader's open work, the audit event.
 */
export function newAssignmentTxs(
  tableName: string,
  a: AssignmentRecord,
  opts: { slot?: { case: Pick<CaseRecord, 'caseId' | 'assignedCount'>; taker: SlotTaker; k: { slots: number; readsPerCase: number } }; maxOpenPerReader: number; audit: AuditEvent },
): LabelledTx[] {
  return [
    ...(opts.slot ? [takeSlotTx(tableName, opts.slot.case, opts.slot.taker, opts.slot.k, a.assignedAt)] : []),
    ...assignmentPutTxs(tableName, a),
    openAssignmentTx(tableName, a.readerId, opts.maxOpenPerReader, a.assignedAt),
    auditPutTx(tableName, opts.audit),
  ];
}

export interface ClaimInput {
  /** The case as listed; its assignedCount is what the claim is optimistic on. */
  case: Pick<CaseRecord, 'caseId' | 'assignedCount'>;
  readerId: string;
  /** The reader's site: cases of that site are refused. */
  site?: string;
  readsPerCase: number;
  maxOpenPerReader: number;
  at: string;
  /** 'self' for "claim next", else who assigned. */
  assignedBy: string;
  /** The assignment ref generator (tests force a collision with it); default newAssignmentRef. */
  newRef?: () => string;
}

/** A ref collision (60 random bits: practically never) is retried with a fresh ref this often. */
const REF_ATTEMPTS = 3;

/**
 * 'claimed'; 'taken' when the case changed since it was listed (another claim won, it filled up,
 * the reader already holds it) or a concurrent transaction got in the way, with the case's current
 * slot state when DynamoDB returned it (`now`): retry with that, or try another case;
 * 'reader_full' when the reader is at the open-work cap.
 */
export type ClaimResult =
  | { result: 'claimed'; assignment: AssignmentRecord }
  | { result: 'taken'; now?: ClaimableCase }
  | { result: 'reader_full' };

export async function claimSlot(db: DynamoDBDocumentClient, tableName: string, input: ClaimInput): Promise<ClaimResult> {
  for (let attempt = 1; ; attempt++) {
    const assignment: AssignmentRecord = {
      caseId: input.case.caseId,
      readerId: input.readerId,
      readNo: 1,
      status: 'pending',
      assignedAt: input.at,
      updatedAt: input.at,
      assignedBy: input.assignedBy,
      repeat: false,
      ref: (input.newRef ?? newAssignmentRef)(),
    };
    try {
      await transact(
        db,
        newAssignmentTxs(tableName, assignment, {
          slot: { case: input.case, taker: { readerId: input.readerId, site: input.site }, k: { slots: input.readsPerCase, readsPerCase: input.readsPerCase } },
          maxOpenPerReader: input.maxOpenPerReader,
          audit: auditEvent({ at: input.at, actor: input.readerId, action: 'case_claimed', caseId: input.case.caseId }),
        }),
      );
      return { result: 'claimed', assignment };
    } catch (e) {
      if (!(e instanceof TransactionCancelled)) throw e;
      if (e.failed('ref') && !e.failed('case') && !e.failed('reader') && attempt < REF_ATTEMPTS) continue;
      if (e.failed('reader') && !e.failed('case')) return { result: 'reader_full' };
      const raw = e.items.get('case');
      if (!raw) return { result: 'taken' };
      const now = { caseId: input.case.caseId, assignedCount: raw.assignedCount?.N, readers: raw.readers?.SS, state: raw.state?.S, site: raw.site?.S, excluded: raw.excluded?.SS };
      return { result: 'taken', now: toClaimable(now) };
    }
  }
}
