/**
 * May this adjudicator work on (and look at the images of) this case? One rule for the
 * adjudication API, the session route and the fleet's case-files call: the case needs an OPEN
 * task, and the adjudicator must not be one of its readers (conflict of interest).
 */
import type { AdjudicationTask } from '../store/adjudications';

export type AdjudicatorAccess = 'ok' | 'no_open_task' | 'conflict';

/** Conflict of interest: `readerOfCase` says the caller holds any assignment on the case (first read or repeat). */
export function isConflicted(task: AdjudicationTask, readerOfCase: boolean, sub: string): boolean {
  return readerOfCase || task.reads.A.readerId === sub || task.reads.B.readerId === sub;
}

export function adjudicatorAccess(task: AdjudicationTask | undefined, readerOfCase: boolean, sub: string): AdjudicatorAccess {
  if (!task || task.status !== 'open') return 'no_open_task';
  return isConflicted(task, readerOfCase, sub) ? 'conflict' : 'ok';
}

export const CONFLICT_MESSAGE = 'You read this case yourself (conflict of interest): another adjudicator must resolve it.';
