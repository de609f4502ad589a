/**
 * May this adjudicator work on (and look at the images of) this case? One rule for the
 * adjudication API, the session route and the fleet's case-files call: the case needs an OPEN
 * task, and the adjudicator must not be one of its readers (conflict of interest).
 */
import type { AdjudicationTask } from '../store/adjudications';

export type AdjudicatorAccess = 'ok' | 'no_open_task' | 'conflict';

/**
 * Conflict of interest: `readerOfCase` says the caller holds any assignment on the case (first read
 * or repeat), looked up now; the task's `readerIds` are the holders when it opened. The list of
 * tasks passes `readerOfCase = false` (no query per task), so it relies on the stored holders alone.
 * That misses nobody the lookup would find: once the task is open the case takes no more first-read
 * slots (it left `open`), and a hidden repeat only goes to a reader of a submitted first read, who
 * is already stored. Should that ever change, the lookup still refuses them: a task listed by
 * mistake answers 403, never the reverse.
 */
export function isConflicted(task: AdjudicationTask, readerOfCase: boolean, sub: string): boolean {
  // readerIds always holds the readers of A and B too (openTaskPut adds them).
  return readerOfCase || task.readerIds.includes(sub);
}

export function adjudicatorAccess(task: AdjudicationTask | undefined, readerOfCase: boolean, sub: string): AdjudicatorAccess {
  if (!task || task.status !== 'open') return 'no_open_task';
  return isConflicted(task, readerOfCase, sub) ? 'conflict' : 'ok';
}

export const CONFLICT_MESSAGE = 'You read this case yourself (conflict of interest): another adjudicator must resolve it.';
