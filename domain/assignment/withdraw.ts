/**
 * Withdrawing an assignment (POST /assignments/{ref}/withdraw): the reasons a coordinator may give
 * and what the route answers. One definition for the coordinator core, the store and the portal.
 */

/** Why a coordinator withdrew an assignment (recorded on the assignment and in the audit event). */
export const WITHDRAW_REASONS = ['conflict_of_interest', 'reader_unavailable', 'workload', 'assigned_in_error', 'other'] as const;
export type WithdrawReason = (typeof WITHDRAW_REASONS)[number];

/** What a withdrawal answers (coordinators are not blind to readers or cases). */
export interface Withdrawn {
  ref: string;
  status: 'withdrawn';
  caseId: string;
  readerId: string;
  repeat: boolean;
  reason: WithdrawReason;
  withdrawnAt: string;
  /** The reader had a draft: it is kept (the read's history holds every version). */
  draftKept: boolean;
}
