/**
 * Who may take or look at a case: the conflict-of-interest rules, pure. Readers take a first-read
 * slot only if they do not hold one already, are not excluded and are not of the case's site
 * (`mayTake`, mirrored by the store's conditional writes). Adjudicators follow one rule for the
 * adjudication API (list, detail, resolve), the image session and the fleet's case-files call, in
 * two layers:
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
import { normaliseSite, siteProblemMessage, type SiteProblem } from '../site';

// ---------------------------------------------------------------------------------------------
// Readers.

/** Who may take a slot: not a holder already, not excluded, not of the case's site. */
export interface SlotTaker {
  readerId: string;
  /** The reader's site; undefined when they have none, or when same-site reading was allowed. */
  site?: string;
}

/** What the slot rule needs to know about a case: its slot holders, exclusions and site. */
export interface SlotCase {
  readers: readonly string[];
  site?: string;
  excluded?: readonly string[];
}

/** The in-code mirror of the slot write's conditions on the reader (for choosing what to try). */
export function mayTake(c: SlotCase, t: SlotTaker): boolean {
  return !c.readers.includes(t.readerId) && !(c.excluded ?? []).includes(t.readerId) && !(t.site !== undefined && c.site === t.site);
}

// ---------------------------------------------------------------------------------------------
// Adjudicators.

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

/** What the rules need of an adjudication task: its state and every reader who held an assignment on the case. */
export interface TaskFacts {
  status: string;
  readerIds: readonly string[];
}

export type CaseConflict = 'read_case' | 'excluded' | 'same_site';
export type AdjudicatorAccess = 'ok' | 'no_open_task' | CaseConflict | 'site_missing';
/** Why a person may not adjudicate at all; the codes of the 403 that says so. */
export type AdjudicatorRefusal = 'dual_role' | 'site_missing' | 'site_invalid';

export const DUAL_ROLE_MESSAGE =
  'You are also in the coordinator or admin group, which shows who read each case (progress, audit log); adjudication must stay blind to the readers, so it is refused. Ask an administrator to take you out of one of the groups.';

export const CONFLICT_MESSAGES: Record<CaseConflict, string> = {
  read_case: 'You read this case yourself (conflict of interest): another adjudicator must resolve it.',
  excluded: 'You are excluded from this case (a declared conflict of interest): another adjudicator must resolve it.',
  same_site: 'This case comes from your own site (conflict of interest): another adjudicator must resolve it.',
};

/** Kept for callers that name the read-the-case conflict. */
export const CONFLICT_MESSAGE = CONFLICT_MESSAGES.read_case;

/** The person as the refusal rule sees them: their roles and their site (or why there is none). */
export interface AdjudicatorCandidate {
  roles: ReadonlySet<string>;
  site?: string;
  siteProblem?: SiteProblem;
}

/**
 * Why this person may not adjudicate at all (a 403 on every adjudication route, the list included),
 * with the message to show, or undefined. Checked from the verified token; the fleet's case-files
 * call has no token and relies on the check made when the session was issued.
 */
export function adjudicatorRefusal(p: AdjudicatorCandidate): { code: AdjudicatorRefusal; message: string } | undefined {
  if (p.roles.has('coordinator') || p.roles.has('admin')) return { code: 'dual_role', message: DUAL_ROLE_MESSAGE };
  if (!p.site) {
    const problem = p.siteProblem ?? 'missing';
    return { code: problem === 'missing' ? 'site_missing' : 'site_invalid', message: siteProblemMessage(problem) };
  }
  return undefined;
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
export function caseConflict(task: Pick<TaskFacts, 'readerIds'>, c: CaseConflictFacts | undefined, who: AdjudicatorIdentity, readerOfCase: boolean): CaseConflict | undefined {
  // readerIds always holds every read's reader (the task is opened with them).
  if (readerOfCase || task.readerIds.includes(who.sub)) return 'read_case';
  if (c?.excluded?.includes(who.sub)) return 'excluded';
  const caseSite = siteOf(c?.site);
  if (caseSite !== undefined && who.site !== undefined && caseSite === who.site) return 'same_site';
  return undefined;
}

/**
 * Whether an adjudicator may look at a case's images now (session route, case-files): the task must
 * be open, the adjudicator must have a site, and no conflict may hold.
 */
export function adjudicatorAccess(task: TaskFacts | undefined, c: CaseConflictFacts | undefined, who: AdjudicatorIdentity, readerOfCase: boolean): AdjudicatorAccess {
  if (!task || task.status !== 'open') return 'no_open_task';
  if (!who.site) return 'site_missing';
  return caseConflict(task, c, who, readerOfCase) ?? 'ok';
}
