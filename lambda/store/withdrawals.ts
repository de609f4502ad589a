/**
 * Withdrawing an assignment that has no submitted read (POST /assignments/{ref}/withdraw), as one
 * transaction so nothing is half withdrawn:
 *
 *  - the assignment becomes `withdrawn` (only from the status it was seen in) and leaves the
 *    reader's queue (its gsi1 keys go); the item and its `REF#` item stay: the lasting marker that
 *    every later check (reader routes, case-files, a second withdrawal) reads;
 *  - a first read gives its slot back: `assignedCount - 1`, the reader leaves `readers` and joins
 *    `excluded` (their draft is a read of this case: they never get it again), the case is put back
 *    in gsi2 `CLAIMABLE` and `withdrawnCount` goes up, which the manifest update refuses on (the
 *    draft kept in history is a read of the registered files);
 *  - the reader's `openCount` goes down;
 *  - a draft, if any, stays: the current read becomes `withdrawn` as a new version, and that
 *    version is appended to the history (action `withdraw`); nothing is deleted;
 *  - the audit event `assignment_withdrawn`, and the idempotency record when the request has a key.
 */
import type { WithdrawReason } from '../../domain/assignment/withdraw';
import { auditPutTx, type AuditEvent } from './audit';
import { idempotencyPutTx, type IdempotencyRecord } from './idempotency';
import { keys } from './keys';
import type { AssignmentRecord } from './assignments';
import { historyPutTx, type ReadRecord } from './reads';
import { transactOrRejected, type LabelledTx, type Table, type TransactRejected } from './table';


export interface Withdrawal {
  /** The assignment as read (its status is what the write is conditional on). */
  assignment: AssignmentRecord;
  /** The case's registration time (its gsi2 `CLAIMABLE` sort key); first reads only. */
  registeredAt: string;
  /** The current read as read, when there is one (a draft: a submitted read cannot be withdrawn). */
  read?: ReadRecord;
  reason: WithdrawReason;
  by: string;
  at: string;
  audit: AuditEvent;
  idempotency?: IdempotencyRecord;
}

/** The parts of a withdrawal (labels `assignment`, `case`, `reader`, `read`, `history`, audit, `idempotency`). */
export function withdrawalTxs(tableName: string, w: Withdrawal): LabelledTx[] {
  const a = w.assignment;
  const parts: LabelledTx[] = [
    {
      label: 'assignment',
      item: {
        Update: {
          TableName: tableName,
          Key: keys.assignment(a.caseId, a.readerId, a.readNo),
          UpdateExpression: 'SET #status = :withdrawn, updatedAt = :at, withdrawnAt = :at, withdrawnBy = :by, withdrawReason = :reason REMOVE gsi1pk, gsi1sk',
          // Only from the status seen: a save or submission that got in first wins, and this is re-planned.
          ConditionExpression: '#status = :seen',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':withdrawn': 'withdrawn', ':seen': a.status, ':at': w.at, ':by': w.by, ':reason': w.reason },
        },
      },
    },
  ];
  if (a.readNo === 1) {
    parts.push({
      label: 'case',
      item: {
        Update: {
          TableName: tableName,
          Key: keys.case(a.caseId),
          UpdateExpression: 'SET assignedCount = assignedCount - :one, updatedAt = :at, gsi2pk = :cpk, gsi2sk = :csk ADD excluded :me, withdrawnCount :one DELETE readers :me',
          ConditionExpression: 'contains(readers, :reader) AND #state = :open',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: {
            ':one': 1,
            ':at': w.at,
            ':me': new Set([a.readerId]),
            ':reader': a.readerId,
            ':open': 'open',
            ':cpk': keys.claimable(w.registeredAt, a.caseId).gsi2pk,
            ':csk': keys.claimable(w.registeredAt, a.caseId).gsi2sk,
          },
        },
      },
    });
  }
  parts.push({
    label: 'reader',
    item: {
      Update: {
        TableName: tableName,
        Key: keys.reader(a.readerId),
        UpdateExpression: 'SET openCount = openCount - :one, updatedAt = :at',
        ConditionExpression: 'openCount > :zero',
        ExpressionAttributeValues: { ':one': 1, ':zero': 0, ':at': w.at },
      },
    },
  });
  if (w.read) {
    const kept: ReadRecord = { ...w.read, version: w.read.version + 1, status: 'withdrawn', updatedAt: w.at };
    parts.push(
      {
        label: 'read',
        item: {
          Put: {
            TableName: tableName,
            Item: { ...keys.read(a.caseId, a.readerId, a.readNo), type: 'read', ...kept },
            ConditionExpression: 'version = :expected AND #status = :draft',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':expected': w.read.version, ':draft': 'draft' },
          },
        },
      },
      historyPutTx(tableName, kept, 'withdraw'),
    );
  } else {
    // No read yet: a first save meanwhile would move the assignment from pending, which the
    // assignment's condition already catches; this makes it explicit for an in_progress one too.
    parts.push({
      label: 'read',
      item: { ConditionCheck: { TableName: tableName, Key: keys.read(a.caseId, a.readerId, a.readNo), ConditionExpression: 'attribute_not_exists(pk)' } },
    });
  }
  parts.push(auditPutTx(tableName, w.audit));
  if (w.idempotency) parts.push(idempotencyPutTx(tableName, w.idempotency));
  return parts;
}

/** Which parts failed their conditions (`conflictOnly`: only concurrency got in the way). */
export type WithdrawRejected = TransactRejected;

/** Withdrawals in the table. */
export function withdrawalStore({ db, tableName }: Table) {
  const withdrawAssignment = (w: Withdrawal): Promise<WithdrawRejected | undefined> => transactOrRejected(db, withdrawalTxs(tableName, w));

  return { withdrawAssignment };
}
