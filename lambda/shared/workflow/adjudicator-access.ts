/**
 * May this person adjudicate, and this case? The one rule for the adjudication API (list, detail,
 * resolve), the session route (an adjudicator opening a case's images) and the fleet's case-files
 * call. Two layers:
 *
 *  - the person (`adjudicatorRefusal`): someone who also holds coordinator or admin sees who read
 *    what (progress, the audit log), so adjudication is refused to them outright; and like a reader,
 *    an adjudicator needs a valid site code, or the same-site rule could not hold;
 *  - the case (`caseConflict`): the same conflicts of interest as for readers: one of its readers
 *    (any assignment, first read or repeat), a reader excluded from it, or of its site.
 *
 * The list leaves out exactly the tasks the detail refuses: both call `caseConflict` with the same
 * case facts (site, exclusions). The one difference is where "one of its readers" comes from: the
 * detail also queries the caller's assignments, the list relies on the task's `readerIds` (no query
 * per task). That misses nobody: once a task is open its case takes no more first-read slots (it
 * left `open`), and a hidden repeat only goes to a reader of a submitted first read, who is stored.
 */
import type { Principal } from '../auth';
import { normaliseSite, siteProblemMessage } from '../../../domain/site';
import { ForbiddenError } from '../errors';
import type { AdjudicationTask } from '../store/adjudications';

/** What the conflict rules need to know about a case (its record's `site` and `excluded`). */
export interface CaseConflictFacts {
  site?: string;
  excluded?: readonly string[];
}

/** The adjudicator as the case rules see them: who, and their (normalised) site. */
export interface AdjudicatorIdentity {
  sub: string;
  site?: string;
}

export type CaseConflict = 'read_case' | 'excluded' | 'same_site';
export type AdjudicatorAccess = 'ok' | 'no_open_task' | CaseConflict | 'site_missing';

export const DUAL_ROLE_MESSAGE =
  'You are also in the coordinator or admin group, which shows who read each case (progress, audit log); adjudication must stay blind to the readers, so it is refused. Ask an administrator to take you out of one of the groups.';

const CONFLICT_MESSAGES: Record<CaseConflict, string> = {
  read_case: 'You read this case yourself (conflict of interest): another adjudicator must resolve it.',
  excluded: 'You are excluded from this case (a declared conflict of interest): another adjudicator must resolve it.',
  same_site: 'This case comes from your own site (conflict of interest): another adjudicator must resolve it.',
};

/** Kept for callers that name the read-the-case conflict. */
export const CONFLICT_MESSAGE = CONFLICT_MESSAGES.read_case;

/**
 * Why this person may not adjudicate at all (403 on every adjudication route, the list included),
 * or undefined. Checked from the verified token; the fleet's case-files call has no token and
 * relies on the check made when the session was issued.
 */
export function adjudicatorRefusal(p: Pick<Principal, 'roles' | 'site' | 'siteProblem'>): ForbiddenError | undefined {
  if (p.roles.has('coordinator') || p.roles.has('admin')) return new ForbiddenError(DUAL_ROLE_MESSAGE, 'dual_role');
  if (!p.site) {
    const problem = p.siteProblem ?? 'missing';
    return new ForbiddenError(siteProblemMessage(problem), problem === 'missing' ? 'site_missing' : 'site_invalid');
  }
  return undefined;
}

/** The caller as an adjudicator, or the 403 that says why not. */
export function requireAdjudicator(p: Principal): AdjudicatorIdentity {
  const refusal = adjudicatorRefusal(p);
  if (refusal) throw refusal;
  return { sub: p.sub, site: p.site };
}

/** Case sites are normalised at registration; one registered before that compares the same way. */
const siteOf = (raw: string | undefined) => {
  if (raw === undefined) return undefined;
  const checked = normaliseSite(raw);
  return checked.ok ? checked.site : raw;
};

/**
 * The conflict of interest between this adjudicator and this case, or undefined. `readerOfCase`:
 * the caller holds any assignment on the case, looked up now (the list passes false and relies on
 * the task's stored `readerIds`, see above).
 */
export function caseConflict(task: Pick<AdjudicationTask, 'readerIds'>, c: CaseConflictFacts | undefined, who: AdjudicatorIdentity, readerOfCase: boolean): CaseConflict | undefined {
  // readerIds always holds every read's reader (openTaskPut adds them).
  if (readerOfCase || task.readerIds.includes(who.sub)) return 'read_case';
  if (c?.excluded?.includes(who.sub)) return 'excluded';
  const caseSite = siteOf(c?.site);
  if (caseSite !== undefined && who.site !== undefined && caseSite === who.site) return 'same_site';
  return undefined;
}

/** The 403 of a conflict, saying which. */
export function conflictError(conflict: CaseConflict): ForbiddenError {
  return new ForbiddenError(CONFLICT_MESSAGES[conflict], 'conflict_of_interest');
}

/**
 * Whether an adjudicator may look at a case's images now (session route, case-files): the task must
 * be open, the adjudicator must have a site, and no conflict may hold.
 */
export function adjudicatorAccess(task: AdjudicationTask | undefined, c: CaseConflictFacts | undefined, who: AdjudicatorIdentity, readerOfCase: boolean): AdjudicatorAccess {
  if (!task || task.status !== 'open') return 'no_open_task';
  if (!who.site) return 'site_missing';
  return caseConflict(task, c, who, readerOfCase) ?? 'ok';
}
