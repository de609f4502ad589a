/**
 * New assignments, as one transaction each (at most 5 items): the case's slot for a first read
 * (never past k, never the same reader twice, never an excluded or same-site reader), the
 * assignment with its REF item, the reader's open-work cap, and the audit event (`case_claimed` or
 * `case_assigned`), so GET /audit shows who took what. `newAssignmentTxs` builds it for both "claim
 * next" (`claimSlot`, reader API) and bulk assignment (coordinator API), which differ only in how
 * they react to a refusal.
 */
import { assignmentPutTxs, newAssignmentRef, type AssignmentRecord } from './assignments';
import { mayTake, type SlotTaker } from '../../domain/assignment/access';
import { caseStore, takeSlotTx, toClaimable, type CaseRecord, type ClaimableCase } from './cases';
import { auditEvent, auditPutTx, type AuditEvent } from './audit';
import { openAssignmentTx } from './readers';
import { transact, TransactionCancelled, type LabelledTx, type Table } from './table';

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

/** One assignment a coordinator's bulk run makes (`assign`). */
export interface AssignCommand {
  caseId: string;
  readerId: string;
  /** 1: an independent read, counted toward k; 2+: a hidden repeat, not counted. */
  readNo: number;
  /** k of this run: the case's slots are filled up to this many first reads. */
  readsPerCase: number;
  /** The study's k (at least `readsPerCase`): the case stays claimable until it has this many. */
  studyReadsPerCase: number;
  /** The reader's site, when the same-site rule applies: the write is refused for a case of that site. */
  site?: string;
  maxOpenPerReader: number;
  at: string;
  /** The coordinator's sub (recorded on the assignment and in the audit log). */
  actor: string;
  /** The assignment ref generator (tests force a collision with it); default newAssignmentRef. */
  newRef?: () => string;
}

export type AssignOutcome = 'assigned' | 'case_full' | 'reader_at_cap' | 'exists' | 'excluded';

/** New assignments in the table. */
export function claimStore({ db, tableName }: Table) {
  async function claimSlot(input: ClaimInput): Promise<ClaimResult> {
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
            // The ref, for coordinators only (the audit log): what POST /assignments/{ref}/withdraw takes.
            audit: auditEvent({ at: input.at, actor: input.readerId, action: 'case_claimed', caseId: input.case.caseId, detail: { ref: assignment.ref } }),
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

  const { getCase } = caseStore({ db, tableName });

  /**
   * One assignment of a bulk run in one transaction (`newAssignmentTxs`, as "claim next" writes it;
   * a fresh random ref per attempt, so hidden repeats get their own): never past k, never past the
   * reader's cap, never twice, never an excluded or same-site reader. A lost race on the count, or a
   * ref collision, is retried on fresh data.
   */
  async function assign(cmd: AssignCommand): Promise<AssignOutcome> {
    const newRef = cmd.newRef ?? newAssignmentRef;
    for (let attempt = 0; attempt < 5; attempt++) {
      const record: AssignmentRecord = {
        caseId: cmd.caseId,
        readerId: cmd.readerId,
        readNo: cmd.readNo,
        status: 'pending',
        assignedAt: cmd.at,
        updatedAt: cmd.at,
        assignedBy: cmd.actor,
        repeat: cmd.readNo > 1,
        ref: newRef(),
      };
      const taker = { readerId: cmd.readerId, site: cmd.site };
      let slot: Parameters<typeof newAssignmentTxs>[2]['slot'];
      if (cmd.readNo === 1) {
        const c = await getCase(cmd.caseId);
        if (!c || c.state !== 'open' || c.assignedCount >= cmd.readsPerCase) return 'case_full';
        if (c.readers.includes(cmd.readerId)) return 'exists';
        if (!mayTake(c, taker)) return 'excluded';
        slot = { case: c, taker, k: { slots: cmd.readsPerCase, readsPerCase: cmd.studyReadsPerCase } };
      }
      const audit = auditEvent({ at: cmd.at, actor: cmd.actor, action: 'case_assigned', caseId: cmd.caseId, detail: { readerId: cmd.readerId, ref: record.ref } });
      try {
        await transact(db, newAssignmentTxs(tableName, record, { slot, maxOpenPerReader: cmd.maxOpenPerReader, audit }));
        return 'assigned';
      } catch (e) {
        if (!(e instanceof TransactionCancelled)) throw e;
        if (e.failed('assignment')) return 'exists';
        if (e.failed('reader')) return 'reader_at_cap';
        // 'case' failed (the count moved), the ref collided (a new one is drawn) or a concurrent
        // transaction got in the way: back off a little, look again.
        await new Promise((r) => setTimeout(r, 10 * 2 ** attempt * Math.random()));
      }
    }
    return 'case_full';
  }

  return { claimSlot, assign };
}
