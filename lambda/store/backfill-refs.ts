/**
 * One-off for studies whose assignments were created before assignment refs existed: gives every
 * assignment without a `ref` a new one, writes its `REF#<ref>` item and moves its queue sort key to
 * `<status>#<at>#<ref>`, one transaction (2 items) per assignment. Until it has run, such
 * assignments cannot be opened by their readers (reader routes take only refs).
 *
 * Idempotent: it only touches assignments that have no ref (checked again in the write's
 * condition), so a second run, or a run after an interruption, changes nothing already done. An
 * assignment whose status moved while the backfill ran is skipped and left without a ref; run it
 * again (ideally outside reading hours).
 *
 * It Scans the table: this is an operator's one-off, not a request path.
 */
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { newAssignmentRef, refPutTx, type AssignmentRecord } from './assignments';
import { keys } from './keys';
import { recordOf, transact, TransactionCancelled, type LabelledTx, type Table } from './table';

export interface BackfillResult {
  /** Assignments that had no ref. */
  found: number;
  /** Of those, given a ref now. */
  updated: number;
  /** Changed by someone else meanwhile (run again). */
  skipped: number;
}

const REF_ATTEMPTS = 3;

/** The one-off ref backfill. */
export function backfillStore({ db, tableName }: Table) {
  async function backfillRefs(newRef: () => string = newAssignmentRef): Promise<BackfillResult> {
    const result: BackfillResult = { found: 0, updated: 0, skipped: 0 };
    let start: Record<string, unknown> | undefined;
    do {
      const out = await db.send(
        new ScanCommand({
          TableName: tableName,
          FilterExpression: 'begins_with(sk, :assign) AND attribute_not_exists(#ref)',
          ExpressionAttributeNames: { '#ref': 'ref' },
          ExpressionAttributeValues: { ':assign': 'ASSIGN#' },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      for (const item of out.Items ?? []) {
        result.found++;
        (await backfillOne(recordOf<Omit<AssignmentRecord, 'ref'>>(item), newRef)) ? result.updated++ : result.skipped++;
      }
      start = out.LastEvaluatedKey;
    } while (start);
    return result;
  }

  async function backfillOne(a: Omit<AssignmentRecord, 'ref'>, newRef: () => string): Promise<boolean> {
    for (let attempt = 1; attempt <= REF_ATTEMPTS; attempt++) {
      const ref = newRef();
      const assignment: LabelledTx = {
        label: 'assignment',
        item: {
          Update: {
            TableName: tableName,
            Key: keys.assignment(a.caseId, a.readerId, a.readNo),
            // The queue key is derived from the status as read: only if it is still that status.
            UpdateExpression: 'SET #ref = :ref, gsi1sk = :gsk',
            ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(#ref) AND #status = :status',
            ExpressionAttributeNames: { '#ref': 'ref', '#status': 'status' },
            ExpressionAttributeValues: { ':ref': ref, ':status': a.status, ':gsk': keys.queueEntry(a.readerId, a.status, a.assignedAt, ref).gsi1sk },
          },
        },
      };
      try {
        await transact(db, [assignment, refPutTx(tableName, { ref, readerId: a.readerId, caseId: a.caseId, readNo: a.readNo })]);
        return true;
      } catch (e) {
        if (!(e instanceof TransactionCancelled)) throw e;
        if (e.failed('assignment')) return false;
        // A ref collision or a concurrent transaction: try again with a new ref.
      }
    }
    return false;
  }

  return { backfillRefs };
}
