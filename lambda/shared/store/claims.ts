/**
 * Taking a first-read slot of a case for a reader, as one transaction: the case's slot count
 * (never past readsPerCase, never the same reader twice), the assignment (which records who
 * assigned it and when, so no separate audit event), and the reader's open-work cap. Used by
 * "claim next" (reader API) and by bulk assignment.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { assignmentPutTx, type AssignmentRecord } from './assignments';
import { takeSlotTx, type CaseRecord, type ClaimableCase } from './cases';
import { openAssignmentTx } from './readers';
import { transact, TransactionCancelled } from './table';

export interface ClaimInput {
  /** The case as listed; its assignedCount is what the claim is optimistic on. */
  case: Pick<CaseRecord, 'caseId' | 'assignedCount'>;
  readerId: string;
  readsPerCase: number;
  maxOpenPerReader: number;
  at: string;
  /** 'self' for "claim next", else who assigned. */
  assignedBy: string;
}

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
  const assignment: AssignmentRecord = {
    caseId: input.case.caseId,
    readerId: input.readerId,
    readNo: 1,
    status: 'pending',
    assignedAt: input.at,
    updatedAt: input.at,
    assignedBy: input.assignedBy,
    repeat: false,
  };
  try {
    await transact(db, [
      takeSlotTx(tableName, input.case, input.readerId, input.readsPerCase, input.at),
      assignmentPutTx(tableName, assignment),
      openAssignmentTx(tableName, input.readerId, input.maxOpenPerReader, input.at),
    ]);
    return { result: 'claimed', assignment };
  } catch (e) {
    if (!(e instanceof TransactionCancelled)) throw e;
    if (e.failed('reader') && !e.failed('case')) return { result: 'reader_full' };
    const raw = e.items.get('case');
    if (!raw) return { result: 'taken' };
    return {
      result: 'taken',
      now: { caseId: input.case.caseId, assignedCount: Number(raw.assignedCount?.N ?? 0), readers: raw.readers?.SS ?? [], state: (raw.state?.S ?? 'open') as CaseRecord['state'] },
    };
  }
}
