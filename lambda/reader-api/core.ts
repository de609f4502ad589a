/**
 * The reader's use cases: profile, study, queue, claim next, streaming session, and the read itself.
 * Pure over its ports (no Lambda or SDK types): the handler parses the event, these decide.
 *
 * Blinding: every answer here is about the caller's own assignments and reads. Nothing returns
 * another reader's id or answers, and caseId/readNo/repeat never leave the server: readers know an
 * assignment only by its random `ref`, so a hidden repeat (same case, new ref) looks like any other
 * assignment. The reader routes take that ref (`/assignments/{ref}/…`). A ref that is unknown,
 * another reader's, or a case id is the same 404, so the API probes nothing.
 */
import type { ReadingConfig } from '../../domain/reading-config';
import { mayTake, type SlotTaker } from '../../domain/assignment/access';
import type { NormalisedAnswers } from '../../domain/answers';
import { caseFacts, readerContext } from '../../domain/case';
import { validateAnswers } from '../../domain/form/validator';
import { decideCaseOutcome } from '../../domain/rules/case-outcome';
import { studyInfo, type StudyInfo } from '../../domain/study';
import { requireRole, requireSite, ROLES, type Principal } from '../runtime/auth';
import { AppError, AssignmentNotFoundError, ConflictError, PreconditionFailedError, ValidationError } from '../runtime/errors';
import { idempotencyKeyOf, idempotencyRecord, idempotentRequest, replay, replayOrRethrow, type IdempotentRequest, type Replayable } from '../runtime/idempotency';
import { log } from '../runtime/log';
import { issueSession, type IssuedSession, type SessionDeps } from '../runtime/streaming';
import type { ReadingStore } from '../store';
import { REF_PATTERN, toQueueEntry, type AssignmentRecord, type AssignmentStatus, type QueueEntry } from '../store/assignments';
import { auditEvent } from '../store/audit';
import type { CaseRecord, ClaimableCase } from '../store/cases';
import type { Page } from '../store/page';
import type { ReadAction, ReadRecord } from '../store/reads';
import type { ReadSave } from '../store/submissions';

// ---------------------------------------------------------------------------------------------
// Ports.

/** The reading table as this API uses it: a slice of the store (../store). */
export type ReaderStore = Pick<
  ReadingStore,
  | 'ensureReader'
  | 'queuePage'
  | 'firstOpenAssignment'
  | 'listClaimable'
  | 'claimSlot'
  | 'getAssignmentRef'
  | 'getAssignment'
  | 'getCase'
  | 'getRead'
  | 'listReads'
  | 'getIdempotency'
  | 'writeReadSave'
  | 'recordSession'
>;

export interface ReaderApiDeps extends SessionDeps {
  store: ReaderStore;
  reading: ReadingConfig;
  study: { studyId: string; displayName: string };
  /** [0, 1), to spread concurrent claimers over the claimable cases. */
  random: () => number;
}

// ---------------------------------------------------------------------------------------------
// GET /me

export interface Me {
  readerId: string;
  email?: string;
  roles: string[];
  /** The site the same-site rule uses, or why there is none (the portal tells the reader to ask an administrator). */
  site?: string;
  siteProblem?: string;
  progress?: { open: number; submitted: number };
}

export async function getMe(deps: ReaderApiDeps, p: Principal): Promise<Me> {
  const roles = [...p.roles].sort();
  // Readers get a profile on first sight so that coordinators can assign to them before they claim.
  const profile = p.roles.has('reader') ? await deps.store.ensureReader({ readerId: p.sub, email: p.email, site: p.site, at: deps.now().toISOString() }) : undefined;
  return {
    readerId: p.sub,
    email: p.email,
    roles,
    ...(p.site ? { site: p.site } : { siteProblem: p.siteProblem ?? 'missing' }),
    progress: profile ? { open: profile.openCount, submitted: profile.submittedCount } : undefined,
  };
}

// ---------------------------------------------------------------------------------------------
// GET /study

/** The study as a client needs it (domain/study.ts): for anyone of the study's four groups. */
export function getStudy(deps: ReaderApiDeps, p: Principal): StudyInfo {
  requireRole(p, ...ROLES);
  return studyInfo({
    ...deps.study,
    form: deps.reading.form,
    readsPerCase: deps.reading.assignment.readsPerCase,
    streamingUrlValiditySeconds: deps.streamingUrlValiditySeconds,
    sessionMaxSeconds: deps.sessionMaxSeconds,
  });
}

// ---------------------------------------------------------------------------------------------
// GET /queue

export const QUEUE_STATUSES: readonly AssignmentStatus[] = ['in_progress', 'pending', 'submitted'];

export async function getQueue(deps: ReaderApiDeps, p: Principal, q: { limit: number; cursor?: string; status?: string }): Promise<Page<QueueEntry>> {
  requireRole(p, 'reader');
  if (q.status !== undefined && !(QUEUE_STATUSES as readonly string[]).includes(q.status)) {
    throw new ValidationError('status', 'enum', `status: must be one of ${QUEUE_STATUSES.join(', ')}`);
  }
  const page = await deps.store.queuePage(p.sub, { limit: q.limit, cursor: q.cursor, status: q.status as AssignmentStatus | undefined });
  return { items: page.items.map(toQueueEntry), ...(page.cursor ? { cursor: page.cursor } : {}) };
}

// ---------------------------------------------------------------------------------------------
// POST /queue/next

/** Cases read per claimable page, and how hard to try before giving up under contention. */
const CLAIM_PAGE = 50;
const CLAIM_CASES_PER_ROUND = 5;
const CLAIM_RETRIES_PER_CASE = 3;
const CLAIM_MAX_ROUNDS = 20;
const CLAIM_MAX_PAGES = 200;

/** The reader's next assignment: their own open one (`claimed: false`), a newly claimed case, or none. */
export interface Claimed {
  assignment: QueueEntry | null;
  claimed: boolean;
  message?: string;
}

export async function claimNext(deps: ReaderApiDeps, p: Principal): Promise<Claimed> {
  requireRole(p, 'reader');
  const own = await deps.store.firstOpenAssignment(p.sub);
  if (own) return { assignment: toQueueEntry(own), claimed: false };
  // Taking a new case needs the reader's site: without one the same-site rule could not hold.
  const site = requireSite(p);

  const { readsPerCase, maxOpenPerReader } = deps.reading.assignment;
  // Never a case of the reader's own site, nor one they are excluded from (the claim's condition
  // enforces both; this only avoids trying).
  const taker: SlotTaker = { readerId: p.sub, site };
  const claimable = (c: ClaimableCase) => c.state === 'open' && c.assignedCount < readsPerCase && mayTake(c, taker);
  let startKey: Record<string, unknown> | undefined;
  let contended = 0;
  for (let pages = 0; pages < CLAIM_MAX_PAGES && contended < CLAIM_MAX_ROUNDS; pages++) {
    const { cases, next } = await deps.store.listClaimable(taker, { pageSize: CLAIM_PAGE, startKey });
    if (cases.length === 0) {
      if (!next) break;
      startKey = next; // a page of cases this reader already holds: keep going
      continue;
    }
    // Random order: a hundred readers pressing "next" together should not all race for the oldest case.
    // A few cases per listing, and a fresh listing as soon as one turns out full: under contention
    // the listing goes stale fast, and full cases leave the claimable index.
    for (const listed of shuffled(cases, deps.random).slice(0, CLAIM_CASES_PER_ROUND)) {
      let c: ClaimableCase = listed;
      for (let retry = 0; retry < CLAIM_RETRIES_PER_CASE && claimable(c); retry++) {
        const outcome = await deps.store.claimSlot({ case: c, readerId: p.sub, site: taker.site, readsPerCase, maxOpenPerReader, at: deps.now().toISOString(), assignedBy: 'self' });
        if (outcome.result === 'claimed') return { assignment: toQueueEntry(outcome.assignment), claimed: true };
        if (outcome.result === 'reader_full') {
          throw new ConflictError(`You already have ${maxOpenPerReader} open cases; submit one before taking another.`, 'workload_cap');
        }
        // Lost a race for this case: retry it as it is now while it still has a slot for us.
        if (!outcome.now) break;
        c = outcome.now;
      }
      if (c.assignedCount >= readsPerCase) break;
    }
    // The cases tried went to others meanwhile: list again from the start.
    contended++;
    startKey = undefined;
  }
  if (contended >= CLAIM_MAX_ROUNDS) {
    // Not a client mistake, but not a failure either: the portal retries after a moment.
    throw new AppError(503, 'busy', 'Many readers are taking cases right now; try again in a few seconds.');
  }
  return { assignment: null, claimed: false, message: 'No case is waiting for you right now.' };
}

function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Assignment check shared by the case-scoped routes.

/**
 * The caller's assignment that `ref` names: exactly that (case, readNo), so a first read and its
 * hidden repeat stay apart. Undefined when the ref is malformed (a case id), unknown, or another
 * reader's; all look the same to the caller.
 */
async function ownAssignment(deps: ReaderApiDeps, p: Principal, ref: string): Promise<AssignmentRecord | undefined> {
  if (!REF_PATTERN.test(ref)) return undefined;
  const found = await deps.store.getAssignmentRef(ref);
  if (!found || found.readerId !== p.sub) return undefined;
  return deps.store.getAssignment(found.caseId, found.readerId, found.readNo);
}

/** 410: a coordinator withdrew the caller's assignment (POST /assignments/{ref}/withdraw). */
class WithdrawnError extends AppError {
  constructor() {
    super(410, 'assignment_withdrawn', 'A coordinator withdrew this assignment; your draft is kept, and it is no longer in your queue.');
  }
}

/** The caller's assignment named by `ref`, or 404 (410 once withdrawn). */
async function requireAssignment(deps: ReaderApiDeps, p: Principal, ref: string): Promise<AssignmentRecord> {
  requireRole(p, 'reader');
  const assignment = await ownAssignment(deps, p, ref);
  if (!assignment) throw new AssignmentNotFoundError();
  // The reader's own ref, so saying so reveals nothing; the draft stays in the read's history.
  if (assignment.status === 'withdrawn') throw new WithdrawnError();
  return assignment;
}

// ---------------------------------------------------------------------------------------------
// POST /assignments/{ref}/session

/**
 * A reader opens the case of their assignment, named by its ref: a streaming URL, and the session
 * record case-files trusts (../runtime/streaming.ts; adjudicators open a task's case through the
 * adjudication API). The answer names the assignment by ref only.
 */
export async function openSession(deps: ReaderApiDeps, p: Principal, ref: string): Promise<IssuedSession & { ref: string }> {
  const assignment = await requireAssignment(deps, p, ref);
  const issued = await issueSession(deps, p.sub, { caseId: assignment.caseId, readNo: assignment.readNo, ref: assignment.ref, purpose: 'read' });
  return { ref: assignment.ref, ...issued };
}

// ---------------------------------------------------------------------------------------------
// GET /assignments/{ref}/read

const EMPTY_ANSWERS: NormalisedAnswers = { eyes: {}, participant: {} };

/** The caller's read as they see it, with what the form needs from the case (the ETag is its version). */
export type ReadView = ReturnType<typeof readView>;

function readView(deps: ReaderApiDeps, c: CaseRecord, a: AssignmentRecord, read: ReadRecord | undefined) {
  const context = readerContext(c.context, c.caseId);
  return {
    ref: a.ref,
    version: read?.version ?? 0,
    status: read?.status ?? 'not_started',
    editable: isEditable(c, a, read),
    answers: read?.answers ?? EMPTY_ANSWERS,
    formId: read?.formId ?? deps.reading.form.formId,
    formVersion: read?.formVersion ?? deps.reading.form.formVersion,
    facts: { ...caseFacts(c), eyes: c.eyes.length > 0 ? c.eyes : deps.reading.form.eyes },
    ...(context ? { context } : {}),
    ...(read ? { updatedAt: read.updatedAt } : {}),
    ...(read?.submittedAt ? { submittedAt: read.submittedAt } : {}),
  };
}

/** Drafts are always editable; a submitted first read only while the case waits for its other reads. */
function isEditable(c: CaseRecord, a: AssignmentRecord, read: ReadRecord | undefined): boolean {
  return read?.status !== 'submitted' || (a.readNo === 1 && c.state === 'open');
}

async function caseOf(deps: ReaderApiDeps, caseId: string): Promise<CaseRecord> {
  const c = await deps.store.getCase(caseId);
  // An assignment without its case means the data is inconsistent: a server error, not the client's.
  if (!c) throw new Error(`assignment without case ${caseId}`);
  return c;
}

export async function getRead(deps: ReaderApiDeps, p: Principal, ref: string): Promise<ReadView> {
  const assignment = await requireAssignment(deps, p, ref);
  const { caseId } = assignment;
  const [c, read] = await Promise.all([caseOf(deps, caseId), deps.store.getRead(caseId, p.sub, assignment.readNo)]);
  return readView(deps, c, assignment, read);
}

// ---------------------------------------------------------------------------------------------
// PUT /assignments/{ref}/read

export interface PutReadInput {
  /** The assignment ref from the path. */
  ref: string;
  body: Record<string, unknown>;
  /** The raw If-Match header. */
  ifMatch?: string;
  /** The raw Idempotency-Key header. */
  idempotencyKey?: string;
}

const IF_MATCH = /^\s*(?:W\/)?"?(\d{1,9})"?\s*$/;
const BODY_KEYS = ['answers', 'submit'];
const SAVE_ATTEMPTS = 5;

class PreconditionRequiredError extends AppError {
  constructor() {
    super(428, 'precondition_required', 'If-Match: required when the read already exists; send the version you edited (the ETag of GET /assignments/{ref}/read).', {
      field: 'If-Match',
      rule: 'required',
    });
  }
}

function parsePutRead(input: PutReadInput): { answers: unknown; submit: boolean; expected?: number; key?: string } {
  for (const k of Object.keys(input.body)) {
    if (!BODY_KEYS.includes(k)) throw new ValidationError(k.slice(0, 64), 'unknown', `${k.slice(0, 64)}: is not a field of a read (expected answers, submit)`);
  }
  if (!('answers' in input.body)) throw new ValidationError('answers', 'required', 'answers: is required ({ eyes, participant })');
  const submit = input.body.submit ?? false;
  if (typeof submit !== 'boolean') throw new ValidationError('submit', 'type', 'submit: must be true or false');
  let expected: number | undefined;
  if (input.ifMatch !== undefined) {
    const m = IF_MATCH.exec(input.ifMatch);
    if (!m) throw new ValidationError('If-Match', 'format', 'If-Match: must be the version you edited, e.g. "3"');
    expected = Number(m[1]);
  }
  return { answers: input.body.answers, submit, expected, key: idempotencyKeyOf(input.idempotencyKey) };
}

/** A saved read: its view (the ETag is its version) and whether this save created it (version 1). */
export interface SavedRead {
  read: ReadView;
  created: boolean;
}

export async function putRead(deps: ReaderApiDeps, p: Principal, input: PutReadInput): Promise<Replayable<SavedRead>> {
  const req = parsePutRead(input);
  const initial = await requireAssignment(deps, p, input.ref);
  const { caseId } = initial;
  // What makes "the same request": a key reused for a different one is refused, not replayed.
  const idempotent = idempotentRequest(p.sub, req.key, 'save read', [input.ref, req.expected ?? null, input.body]);
  const replayed = async () => {
    const stored = await replay<SavedRead>(deps.store, idempotent);
    return stored && { result: stored, replayed: true };
  };

  let assignment = initial;
  const first = await replayed();
  if (first) return first;
  for (let attempt = 1; ; attempt++) {
    let plan: Awaited<ReturnType<typeof planSave>>;
    try {
      plan = await planSave(deps, p, caseId, assignment, req, idempotent);
    } catch (e) {
      // The read moved after the replay check: perhaps by this request's twin.
      return replayOrRethrow<SavedRead>(deps.store, idempotent, e);
    }
    const rejected = await deps.store.writeReadSave(plan.save);
    if (!rejected) {
      if (plan.save.outcome) log.info('case completed', { caseId, outcome: plan.save.outcome.decision.kind });
      return { result: plan.result, replayed: false };
    }
    // Lost a race. A retry of this very request may have won it: answer as it did.
    const again = await replayed();
    if (again) return again;
    if (rejected.failed.has('read') || rejected.failed.has('assignment')) {
      // A coordinator's withdrawal moves both: say that rather than "reload".
      const now = await deps.store.getAssignment(caseId, p.sub, assignment.readNo);
      if (now?.status === 'withdrawn') throw new WithdrawnError();
    }
    if (rejected.failed.has('read')) {
      const current = await deps.store.getRead(caseId, p.sub, assignment.readNo);
      throw new PreconditionFailedError(current?.version ?? 0);
    }
    if (attempt >= SAVE_ATTEMPTS) throw new ConflictError('The case changed while saving; reload it and save again.');
    // The case count, another read or the assignment moved under us: plan again from fresh state.
    // The idempotency record was just checked and the ref's REF item never changes: only the
    // assignment itself is read again.
    const fresh = await deps.store.getAssignment(caseId, p.sub, assignment.readNo);
    if (!fresh) throw new AssignmentNotFoundError();
    if (fresh.status === 'withdrawn') throw new WithdrawnError();
    assignment = fresh;
  }
}

async function planSave(
  deps: ReaderApiDeps,
  p: Principal,
  caseId: string,
  assignment: AssignmentRecord,
  req: ReturnType<typeof parsePutRead>,
  idempotent: IdempotentRequest | undefined,
): Promise<{ save: ReadSave; result: SavedRead }> {
  const [c, current] = await Promise.all([caseOf(deps, caseId), deps.store.getRead(caseId, p.sub, assignment.readNo)]);

  // Preconditions first: a client editing an old version must not learn about validation of it.
  if (current && req.expected === undefined) throw new PreconditionRequiredError();
  if ((current?.version ?? 0) !== (req.expected ?? 0)) throw new PreconditionFailedError(current?.version ?? 0);
  if (current?.status === 'submitted') {
    if (!req.submit) throw new ConflictError('This read was submitted; an amendment must be submitted again (submit: true).', 'already_submitted');
    if (!isEditable(c, assignment, current)) throw new ConflictError('This case is closed for amendments: all its reads are in.', 'read_locked');
  }

  const checked = validateAnswers(deps.reading.form, req.answers, caseFacts(c), { mode: req.submit ? 'submit' : 'draft' });
  if (!checked.ok) {
    const errors = checked.errors.map((e) => ({ ...e, path: e.path === '$' ? 'answers' : `answers.${e.path}` }));
    const first = errors[0];
    throw new ValidationError(first.path, first.rule, `${first.path}: ${first.message}${errors.length > 1 ? ` (and ${errors.length - 1} more)` : ''}`, errors);
  }

  const at = deps.now().toISOString();
  const firstSubmission = req.submit && current?.status !== 'submitted';
  const read: ReadRecord = {
    caseId,
    readerId: p.sub,
    readNo: assignment.readNo,
    version: (current?.version ?? 0) + 1,
    status: req.submit ? 'submitted' : 'draft',
    answers: checked.value,
    formId: deps.reading.form.formId,
    formVersion: deps.reading.form.formVersion,
    createdAt: current?.createdAt ?? at,
    updatedAt: at,
    ...(firstSubmission ? { submittedAt: at } : current?.submittedAt ? { submittedAt: current.submittedAt } : {}),
  };
  const action: ReadAction = current?.status === 'submitted' ? 'amend' : req.submit ? 'submit' : 'save';
  const save: ReadSave = { read, action, audit: [] };

  if (firstSubmission) {
    save.assignment = { record: assignment, from: assignment.status, to: 'submitted' };
    save.countReaderSubmission = true;
    save.audit!.push(auditEvent({ at, actor: p.sub, action: 'read_submitted', caseId, detail: { version: read.version } }));
    // Only first reads count toward the case's k; hidden repeats are for intra-reader agreement.
    if (assignment.readNo === 1) {
      save.countCaseSubmission = c;
      if (c.submittedCount + 1 >= deps.reading.assignment.readsPerCase) save.outcome = await decide(deps, c, read);
    }
  } else if (action === 'amend') {
    // The case may be decided between this plan and the write: the transaction checks it is still
    // open, and the replan then answers read_locked.
    save.requireCaseOpen = true;
    save.audit!.push(auditEvent({ at, actor: p.sub, action: 'read_amended', caseId, detail: { version: read.version } }));
  } else if (assignment.status === 'pending') {
    save.assignment = { record: assignment, from: 'pending', to: 'in_progress' };
  }

  const view = readView(deps, { ...c, state: save.outcome ? (save.outcome.decision.kind === 'final' ? 'final' : 'adjudication') : c.state }, assignment, read);
  const result: SavedRead = { read: view, created: read.version === 1 };
  if (idempotent) save.idempotency = idempotencyRecord(idempotent, result, at);
  return { save, result };
}

/** The k-th first read is in: decide the case on all its submitted first reads. */
async function decide(deps: ReaderApiDeps, c: CaseRecord, mine: ReadRecord): Promise<ReadSave['outcome']> {
  const others = (await deps.store.listReads(c.caseId)).filter((r) => r.readNo === 1 && r.status === 'submitted' && r.readerId !== mine.readerId);
  // Stable order (by reader id) so that re-deciding the same reads gives the same pair.
  const reads = [...others, mine].sort((a, b) => (a.readerId < b.readerId ? -1 : a.readerId > b.readerId ? 1 : 0));
  const decision = decideCaseOutcome(deps.reading, c.caseId, caseFacts(c), reads);
  // The task must name every slot holder, also one without a submitted read (a slot taken when
  // the study's k was higher); hidden repeats only go to readers of submitted first reads.
  if (decision.kind === 'adjudication') decision.readerIds = [...new Set([...decision.readerIds, ...c.readers])];
  return { decision, decidedOn: others };
}
