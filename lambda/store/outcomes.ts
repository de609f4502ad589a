/**
 * The writes that record a case's outcome (../workflow/case-outcome.ts), for the transaction of
 * the submission that completes the case: the adjudication task and/or the system final grade,
 * built with adjudications.ts and finals.ts, plus their audit events.
 */
import type { CaseState } from '../../domain/case';
import type { CaseOutcome } from '../../domain/rules/case-outcome';
import { openTaskPut } from './adjudications';
import { auditEvent, auditPutTx } from './audit';
import { finalPut, SYSTEM_ACTOR } from './finals';
import type { LabelledTx } from './table';

/** The state a case moves to with this outcome. */
export const stateAfter = (o: CaseOutcome): CaseState => (o.kind === 'final' ? 'final' : 'adjudication');

export function outcomeTx(tableName: string, caseId: string, outcome: CaseOutcome, formVersion: string, at: string): LabelledTx[] {
  const parts: LabelledTx[] = [];
  const final = outcome.final;
  if (final) {
    parts.push({
      label: 'final',
      item: finalPut(tableName, {
        caseId,
        provenance: final.provenance,
        value: final.value,
        formVersion,
        decidedBy: SYSTEM_ACTOR,
        decidedAt: at,
        ...(final.notes.length > 0 ? { notes: final.notes } : {}),
      }),
    });
    parts.push(auditPutTx(tableName, auditEvent({ at, actor: SYSTEM_ACTOR, action: 'final_recorded', caseId, detail: { provenance: final.provenance } })));
  }
  if (outcome.kind === 'adjudication') {
    const reads = outcome.reads.map((r) => ({ label: r.label, readerId: r.readerId, readNo: r.readNo }));
    parts.push({
      label: 'adjudication',
      item: openTaskPut(tableName, { caseId, priority: outcome.priority, reasons: outcome.reasons, reads, readerIds: outcome.readerIds, at }),
    });
    parts.push(
      auditPutTx(tableName, auditEvent({ at, actor: SYSTEM_ACTOR, action: 'adjudication_opened', caseId, detail: { priority: outcome.priority, reasons: outcome.reasons.length } })),
    );
  }
  return parts;
}
