/**
 * Taking a first-read slot of a case for a reader, as one transaction (5 items): the case's slot
 * count (never past readsPerCase, never the same reader twice, never an excluded or same-site
 * reader), the assignment with its REF item, the reader's open-work cap, and the `case_claimed`
 * audit event (as bulk assignment writes `case_assigned`), so GET /audit shows who took what.
 * Used by "claim next" (reader API) and the test fixtures.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { assignmentPutTxs, newAssignmentRef, type AssignmentRecord } from './assignments';
import { takeSlotTx, toClaimable, type CaseRecord, type ClaimableCase } from './cases';
import { auditEvent, auditPutTx } from './audit';
import { openAssignmentTx } from './readers';
import { transact, TransactionCancelled } from './table';

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
      await transact(db, [
        takeSlotTx(tableName, input.case, { readerId: input.readerId, site: input.site }, { slots: input.readsPerCase, readsPerCase: input.readsPerCase }, input.at),
        ...assignmentPutTxs(tableName, assignment),
        openAssignmentTx(tableName, input.readerId, input.maxOpenPerReader, input.at),
        auditPutTx(tableName, auditEvent({ at: input.at, actor: input.readerId, action: 'case_claimed', caseId: input.case.caseId })),
      ]);
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
