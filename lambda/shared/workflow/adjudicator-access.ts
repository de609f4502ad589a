/**
 * May this adjudicator work on (and look at the images of) this case? One rule for the
 * adjudication API, the session route and the fleet's case-files call: the case needs an OPEN
 * task, and the adjudicator must not be one of its readers (conflict of interest).
 */
import type { AdjudicationTask } from '../store/adjudications';

export type AdjudicatorAccess = 'ok' | 'no_open_task' | 'conflict';

/** `readerOfCase`: the caller holds any assignment on the case (first read or repeat). */
export function adjudicatorAccess(task: AdjudicationTask | undefined, readerOfCase: boolean, sub: string, opts: { resolvedToo?: boolean } = {}): AdjudicatorAccess {
  if (!task || (task.status !== 'open' && !opts.resolvedToo)) return 'no_open_task';
  if (readerOfCase || task.reads.A.readerId === sub || task.reads.B.readerId === sub) return 'conflict';
  return 'ok';
}

export const CONFLICT_MESSAGE = 'You read this case yourself (conflict of interest): another adjudicator must resolve it.';
