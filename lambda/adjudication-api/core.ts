/**
 * Adjudication: the senior reader's queue, the masked side-by-side view of a discordant case, a
 * streaming session on its images, and its resolution into an adjudicated final grade. Pure over a slice of the store (no Lambda or SDK
 * types); `adapters.ts` wires it.
 *
 * Blinding: the reads are shown as "A", "B" (and "C" … when a case is read more than twice) only.
 * Reader ids, e-mails, read numbers and timestamps never leave this module, and an adjudicator who
 * read the case is refused (403).
 */
import * as z from 'zod';
import type { AnswerValue, NormalisedAnswers, ScopeAnswers } from '../../domain/answers';
import { adjudicatorAccess, caseConflict, type AdjudicatorIdentity, type CaseConflictFacts } from '../../domain/assignment/access';
import { caseFacts, type CaseFacts } from '../../domain/case';
import type { Eye } from '../../domain/form/schema';
import { caseEyes, compileForm, factContext, validateAnswers, walkScope, eyeContext, type CompiledQuestion, type ValidationError as AnswerError } from '../../domain/form/validator';
import type { ReadingConfig } from '../../domain/reading-config';
import { mergeReads, READ_LABELS, type ReadLabel } from '../../domain/rules/discordance';
import { conflictError } from '../runtime/auth';
import { ConflictError, NotFoundError, ValidationError } from '../runtime/errors';
import { idempotencyKeyOf, idempotencyRecord, idempotentRequest, replayOrRethrow, storedResult, type Replayable } from '../runtime/idempotency';
import { parseOrThrow } from '../runtime/parse';
import { issueSession, type IssuedSession, type SessionDeps } from '../runtime/streaming';
import type { ReadingStore } from '../store';
import { labelsOf, type AdjudicationStatus, type AdjudicationTask, type AdjudicationView, type ReadRef } from '../store/adjudications';
import type { FinalPick, FinalRecord } from '../store/finals';
import type { IdempotencyRecord } from '../store/idempotency';
import type { Page } from '../store/page';

/** Why the adjudicator decided as they did: a fixed list, so reports can count them. */
export const REASON_CODES = [
  'read_a_correct',
  'read_b_correct',
  'both_partly_correct',
  'neither_correct',
  'borderline_either_acceptable',
  'image_quality_limits_grading',
  'protocol_interpretation',
  'other',
] as const;
export type ReasonCode = (typeof REASON_CODES)[number];

export const NOTE_MAX = 1000;

// ---------------------------------------------------------------------------------------------
// Ports.

/** A stored, submitted read as the core needs it. */
export interface ReadAnswers {
  answers: NormalisedAnswers;
  /** The stored version: the resolution is conditional on both reads still being at it. */
  version: number;
}

/** The reading table as this API uses it: a slice of the store (../store). */
export type AdjudicationStore = Pick<
  ReadingStore,
  'listTasks' | 'getTask' | 'getRead' | 'getCase' | 'caseConflictFacts' | 'assignmentsOf' | 'getFinal' | 'getIdempotency' | 'resolveAdjudication'
>;

export interface AdjudicationDeps {
  config: ReadingConfig;
  store: AdjudicationStore;
  /** Streaming sessions on a task's case (the reader function issues read sessions the same way). */
  sessions: SessionDeps;
  now(): string;
}

/** The caller, already cleared as an adjudicator (requireAdjudicator: not a coordinator or admin, has a site). */
export type Actor = AdjudicatorIdentity;

// ---------------------------------------------------------------------------------------------
// GET /adjudications

export interface ListQuery {
  status: AdjudicationStatus;
  limit: number;
  cursor?: string;
}

export const ListQuerySchema = z.strictObject({
  status: z.enum(['open', 'resolved']).default('open'),
  limit: z.coerce.number().int().min(1).max(100).default(25),
  cursor: z.string().min(1).max(2048).optional(),
});

export async function listAdjudications(deps: AdjudicationDeps, actor: Actor, query: ListQuery): Promise<Page<AdjudicationView>> {
  const page = await deps.store.listTasks(query.status, { limit: query.limit, cursor: query.cursor });
  // The list leaves out exactly the tasks the detail refuses (conflict of interest): the same rule
  // on the same case facts, with the task's stored holders in place of a query per task (see
  // adjudicator-access.ts). A page may come back short because of that; the cursor still continues.
  const facts = page.items.length > 0 ? await deps.store.caseConflictFacts(page.items.map((t) => t.caseId)) : new Map<string, CaseConflictFacts>();
  const items = page.items.filter((t) => caseConflict(t, facts.get(t.caseId), actor, false) === undefined).map(view);
  return { items, ...(page.cursor ? { cursor: page.cursor } : {}) };
}

/** Blinding: drops every reader id the task holds (A/B reads, the case's readers, the resolver). */
function view(task: AdjudicationTask): AdjudicationView {
  const { reads: _reads, readerIds: _readerIds, resolvedBy: _resolvedBy, ...rest } = task;
  return rest;
}

// ---------------------------------------------------------------------------------------------
// Shared checks.

/** Something per read of a task, by label: A and B always, C … for every further read. */
export type Reads<T> = Partial<Record<ReadLabel, T>> & Record<'A' | 'B', T>;

export interface CaseInfo extends CaseConflictFacts {
  facts: CaseFacts;
  registeredAt: string;
}

interface Loaded {
  task: AdjudicationTask;
  reads: Reads<ReadAnswers>;
  info: CaseInfo;
  final?: FinalRecord;
  previous?: IdempotencyRecord;
}

/**
 * Loads the task, then everything else in one parallel round (reads, case, final, idempotency
 * record, the caller's assignments), and refuses a conflicted caller before anything is used.
 */
async function load(deps: AdjudicationDeps, actor: Actor, caseId: string, opts: { idempotencyKey?: string; final?: boolean }): Promise<Loaded> {
  const { store } = deps;
  const task = await store.getTask(caseId);
  if (!task) throw new NotFoundError(`Adjudication task for case ${caseId}`);
  const labels = labelsOf(task);
  const [assignments, c, final, previous, ...stored] = await Promise.all([
    store.assignmentsOf(caseId, actor.sub),
    store.getCase(caseId),
    opts.final && task.status === 'resolved' ? store.getFinal(caseId) : undefined,
    opts.idempotencyKey ? store.getIdempotency(actor.sub, opts.idempotencyKey) : undefined,
    ...labels.map((l) => submittedRead(store, caseId, task.reads[l]!)),
  ]);
  // Any assignment on the case (first read or repeat) makes the caller one of its readers.
  const readerOfCase = assignments.length > 0;
  const info: CaseInfo | undefined = c && { facts: caseFacts(c), registeredAt: c.registeredAt, ...(c.site ? { site: c.site } : {}), ...(c.excluded ? { excluded: c.excluded } : {}) };
  // Resolved tasks stay viewable here (GET shows the final); only the conflict rule applies.
  const conflict = caseConflict(task, info, actor, readerOfCase);
  if (conflict) throw conflictError(conflict);
  // The task is only ever opened from stored submissions of a registered case: a data fault.
  if (!info || stored.some((r) => !r)) throw new Error(`adjudication ${caseId}: a compared read or the case record is missing`);
  const reads = Object.fromEntries(labels.map((l, i) => [l, stored[i]!])) as Reads<ReadAnswers>;
  return { task, reads, info, final, previous };
}

/** A read the task names, only as long as it is submitted. */
async function submittedRead(store: Pick<ReadingStore, 'getRead'>, caseId: string, ref: ReadRef): Promise<ReadAnswers | undefined> {
  const read = await store.getRead(caseId, ref.readerId, ref.readNo);
  return read && read.status === 'submitted' ? { answers: read.answers, version: read.version } : undefined;
}

/** The answers of each read, by label. */
const answersOf = (reads: Reads<ReadAnswers>): Reads<NormalisedAnswers> =>
  Object.fromEntries(Object.entries(reads).map(([l, r]) => [l, r!.answers])) as Reads<NormalisedAnswers>;

// ---------------------------------------------------------------------------------------------
// GET /adjudications/{caseId}

export interface AdjudicationDetail extends AdjudicationView {
  formVersion: string;
  facts: { octPresent: boolean; octEyes?: Eye[]; eyes: Eye[] };
  /** Every read of the task, masked: A and B, and C … when the case was read more than twice. */
  reads: Reads<NormalisedAnswers>;
  reasonCodes: readonly ReasonCode[];
  final?: FinalView;
}

export type FinalView = Pick<FinalRecord, 'provenance' | 'value' | 'decidedAt' | 'reasonCode' | 'note' | 'picks'>;

const finalView = (f: FinalRecord): FinalView => ({
  provenance: f.provenance,
  value: f.value,
  decidedAt: f.decidedAt,
  ...(f.reasonCode ? { reasonCode: f.reasonCode } : {}),
  ...(f.note ? { note: f.note } : {}),
  ...(f.picks ? { picks: f.picks } : {}),
});

export async function getAdjudication(deps: AdjudicationDeps, actor: Actor, caseId: string): Promise<AdjudicationDetail> {
  const { task, reads, info, final } = await load(deps, actor, caseId, { final: true });
  const facts = info.facts;
  return {
    ...view(task),
    formVersion: deps.config.form.formVersion,
    facts: { ...facts, eyes: caseEyes(deps.config.form, facts) },
    reads: answersOf(reads),
    reasonCodes: REASON_CODES,
    ...(final ? { final: finalView(final) } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// POST /adjudications/{caseId}/session

/**
 * An adjudicator opens the images of an open task's case, by its case id, to look at them before
 * deciding: a streaming URL and the session record case-files trusts (../runtime/streaming.ts, the
 * code that issues readers' sessions too). The adjudication rule applies (an open task, a site, no
 * conflict of interest); no open task is a 404. The adjudicator's site goes with the session:
 * case-files applies the same-site rule again without a token.
 */
export async function openAdjudicationSession(deps: AdjudicationDeps, actor: Actor, caseId: string): Promise<IssuedSession> {
  const { store } = deps;
  const [task, assignments, c] = await Promise.all([store.getTask(caseId), store.assignmentsOf(caseId, actor.sub), store.getCase(caseId)]);
  const access = adjudicatorAccess(task, c, actor, assignments.length > 0);
  if (access === 'no_open_task' || access === 'site_missing') throw new NotFoundError(`An open adjudication of case ${caseId}`);
  if (access !== 'ok') throw conflictError(access);
  return issueSession(deps.sessions, actor.sub, { caseId, readNo: 0, purpose: 'adjudication', site: actor.site });
}

// ---------------------------------------------------------------------------------------------
// PUT /adjudications/{caseId}

/**
 * A new answer can only have the shapes the form's answers have: text, a number, a boolean, or a
 * multi-choice list. Anything else (objects, nested arrays) is refused here, before the form
 * validator (and before it is fingerprinted), whatever the question.
 */
export const TEXT_MAX = 10_000;
const NewValueSchema = z.union([
  z.string().max(TEXT_MAX),
  z.number().finite(),
  z.boolean(),
  z.array(z.union([z.string().max(64), z.number().finite()])).max(100),
]);
/** A read's label takes that read's answer (also "unanswered"); `{ value }` is a new answer. */
const PickSchema = z.union(
  [
    z.enum(READ_LABELS),
    z.strictObject({ value: NewValueSchema.optional().refine((v) => v !== undefined, 'a new value is required (to leave it unanswered, pick the read that left it out)') }),
  ],
  { error: `must be a read's label (${READ_LABELS.join(', ')}) or { "value": … } holding text, a number, true/false or a list of options` },
);
type PickInput = z.infer<typeof PickSchema>;
const ScopePicksSchema = z.record(z.string().max(64), PickSchema);

// C0/C1 controls (except tab/newline) and bidi overrides, as in the form validator's text rule.
const NOTE_FORBIDDEN = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/;

export const ResolveBodySchema = z.strictObject({
  picks: z.strictObject({
    eyes: z.record(z.string().max(8), ScopePicksSchema).optional(),
    participant: ScopePicksSchema.optional(),
  }),
  reasonCode: z.enum(REASON_CODES),
  note: z
    .string()
    .max(NOTE_MAX * 2)
    .transform((s) => s.normalize('NFC').trim())
    .refine((s) => s.length <= NOTE_MAX, `must be at most ${NOTE_MAX} characters`)
    .refine((s) => !NOTE_FORBIDDEN.test(s), 'must not contain control or invisible formatting characters')
    .optional(),
});
export type ResolveBody = z.infer<typeof ResolveBodySchema>;

/** What a resolution answers (and what a retry with the same Idempotency-Key gets again). */
export interface Resolved {
  caseId: string;
  status: 'resolved';
  final: FinalView;
}

const sameValue = (a: AnswerValue | undefined, b: AnswerValue | undefined) => JSON.stringify(a) === JSON.stringify(b);

/** A problem with the picks: the form validator's rules, plus `unknownRead` (a label the task lacks). */
type PickError = Omit<AnswerError, 'rule'> & { rule: AnswerError['rule'] | 'unknownRead' };

interface Assembled {
  candidate: NormalisedAnswers;
  picks: FinalPick[];
  errors: PickError[];
}

/**
 * Builds the final answers scope by scope in form order: an explicit pick wins; otherwise equal
 * answers are kept, a lone answer is kept, and differing answers take the concordant merge (more
 * severe, where the scale has an order). Every (question, eye) a discordance reason names needs a
 * pick when it is visible; a pick for a question the final hides is an error, not silently dropped.
 */
function assemble(config: ReadingConfig, task: AdjudicationTask, reads: Reads<NormalisedAnswers>, facts: CaseFacts, body: ResolveBody): Assembled {
  const form = config.form;
  const cf = compileForm(form);
  const errors: PickError[] = [];
  const picks: FinalPick[] = [];
  const labels = labelsOf(task);
  const merged = mergeReads(form, labels.map((l) => reads[l]!), facts).value;
  const eyes = caseEyes(form, facts);
  const discordant = new Set(task.reasons.map((r) => `${r.eye ?? 'participant'}.${r.question}`));

  const checkKeys = (scopePicks: Record<string, PickInput> | undefined, questions: readonly CompiledQuestion[], prefix: string) => {
    const known = new Set(questions.filter((q) => q.question.type !== 'derived').map((q) => q.question.key));
    for (const key of Object.keys(scopePicks ?? {})) {
      if (!known.has(key)) errors.push({ path: `picks.${prefix}.${key}`, rule: 'unknownKey', message: `picks.${prefix}.${key}: '${key}' is not a question in ${prefix}` });
    }
  };

  const scope = (questions: readonly CompiledQuestion[], context: Record<string, unknown>, scopePicks: Record<string, PickInput> | undefined, eye?: Eye) => {
    const prefix = eye ? `eyes.${eye}` : 'participant';
    checkKeys(scopePicks, questions, prefix);
    const pick = (label: ReadLabel) => (eye ? reads[label]!.eyes[eye] : reads[label]!.participant) ?? ({} as ScopeAnswers);
    const mergedScope = (eye ? merged.eyes[eye] : merged.participant) ?? {};
    return walkScope(questions, context, (cq, visible) => {
      const key = cq.question.key;
      const path = `picks.${prefix}.${key}`;
      const chosen = Object.prototype.hasOwnProperty.call(scopePicks ?? {}, key) ? scopePicks![key] : undefined;
      if (!visible) {
        if (chosen !== undefined) errors.push({ path, rule: 'hidden', message: `${path}: '${key}' is hidden by the final answers (${cq.conditions.map((c) => c.source).join(' && ')}); leave it out` });
        return undefined;
      }
      if (typeof chosen === 'string' && !labels.includes(chosen)) {
        errors.push({ path, rule: 'unknownRead', message: `${path}: this case has no read ${chosen} (reads: ${labels.join(', ')})` });
        return undefined;
      }
      if (chosen !== undefined) {
        picks.push({ question: key, ...(eye ? { eye } : {}), source: typeof chosen === 'string' ? chosen : 'new' });
        return typeof chosen === 'string' ? pick(chosen)[key] : (chosen.value as AnswerValue);
      }
      if (discordant.has(`${eye ?? 'participant'}.${key}`)) {
        errors.push({ path, rule: 'required', message: `${path}: the reads are discordant on '${key}'; pick 'A', 'B' or { "value": … }` });
        return undefined;
      }
      // Not picked: the reads' answer when every read that answered agrees, else the concordant merge.
      const answered = labels.map((l) => pick(l)[key]).filter((v) => v !== undefined);
      if (answered.every((v) => sameValue(v, answered[0]))) return answered[0];
      return mergedScope[key];
    });
  };

  const participant = scope(cf.participant, factContext(facts), body.picks.participant);
  const candidate: NormalisedAnswers = { eyes: {}, participant: participant.answers };
  for (const key of Object.keys(body.picks.eyes ?? {})) {
    if (!(eyes as string[]).includes(key)) errors.push({ path: `picks.eyes.${key}`, rule: 'unknownEye', message: `picks.eyes.${key}: not an eye of this case (${eyes.join(', ')})` });
  }
  for (const eye of eyes) {
    if (labels.every((l) => !reads[l]!.eyes[eye]) && !body.picks.eyes?.[eye]) continue;
    candidate.eyes[eye] = scope(cf.eye, eyeContext(participant.context, facts, eye), body.picks.eyes?.[eye], eye).answers;
  }
  return { candidate, picks, errors };
}

export async function resolveAdjudication(
  deps: AdjudicationDeps,
  actor: Actor,
  caseId: string,
  rawBody: Record<string, unknown>,
  rawKey: string | undefined,
): Promise<Replayable<Resolved>> {
  const key = idempotencyKeyOf(rawKey);
  const body = parseOrThrow(ResolveBodySchema, rawBody);
  if (body.reasonCode === 'other' && !body.note) throw new ValidationError('note', 'required', "note: required when reasonCode is 'other'");
  const idempotent = idempotentRequest(actor.sub, key, 'resolve adjudication', [caseId, body]);
  const { task, reads, info, previous } = await load(deps, actor, caseId, { idempotencyKey: key });
  const facts = info.facts;

  const replayed = storedResult<Resolved>(previous, idempotent);
  if (replayed) return { result: replayed, replayed: true };
  if (task.status !== 'open') throw new ConflictError(`The adjudication of case ${caseId} is already resolved.`, 'already_resolved');

  const assembled = assemble(deps.config, task, answersOf(reads), facts, body);
  const checked = validateAnswers(deps.config.form, assembled.candidate, facts, { mode: 'submit' });
  const errors = [...assembled.errors, ...(checked.ok ? [] : checked.errors.map((e) => prefixed(e, assembled.errors)))].filter(
    (e, i, all) => all.findIndex((x) => x.path === e.path) === i,
  );
  if (errors.length > 0 || !checked.ok) {
    const first = errors[0] ?? { path: 'picks', rule: 'invalid', message: 'picks: the final answers are not valid' };
    throw new ValidationError(first.path, first.rule, first.message, errors.slice(0, 100));
  }

  const at = deps.now();
  const final: FinalRecord = {
    caseId,
    provenance: 'adjudicated',
    value: checked.value,
    formVersion: deps.config.form.formVersion,
    decidedBy: actor.sub,
    decidedAt: at,
    reasonCode: body.reasonCode,
    ...(body.note ? { note: body.note } : {}),
    picks: assembled.picks,
  };
  const resolved: Resolved = { caseId, status: 'resolved', final: finalView(final) };
  try {
    await deps.store.resolveAdjudication({
      task,
      final,
      readVersions: Object.fromEntries(Object.entries(reads).map(([l, r]) => [l, r!.version])),
      registeredAt: info.registeredAt,
      ...(idempotent ? { idempotency: idempotencyRecord(idempotent, resolved, at) } : {}),
    });
  } catch (e) {
    // Resolved after this request loaded the task: perhaps by its twin.
    return replayOrRethrow<Resolved>(deps.store, idempotent, e);
  }
  return { result: resolved, replayed: false };
}

/** Validator paths ('eyes.OD.x') as request paths ('picks.eyes.OD.x'), with a hint for required ones. */
function prefixed(e: AnswerError, _already: readonly PickError[]): PickError {
  const path = e.path === '$' ? 'picks' : `picks.${e.path}`;
  const hint = e.rule === 'required' ? "; the reads leave it open: pick 'A', 'B' or { \"value\": … }" : '';
  return { path, rule: e.rule, message: `${path}: ${e.message}${hint}` };
}
