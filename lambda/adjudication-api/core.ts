/**
 * Adjudication: the senior reader's queue, the masked side-by-side view of a discordant case, and
 * its resolution into an adjudicated final grade. Pure over narrow ports (no Lambda or SDK types);
 * `handler.ts` wires the DynamoDB adapters.
 *
 * Blinding: the reads are shown as "A", "B" (and "C" … when a case is read more than twice) only.
 * Reader ids, e-mails, read numbers and timestamps never leave this module, and an adjudicator who
 * read the case is refused (403).
 */
import { createHash } from 'node:crypto';
import * as z from 'zod';
import type { Eye } from '../../domain/form/schema';
import type { ReadingConfig } from '../../domain/reading-config';
import { mergeReads, READ_LABELS, type ReadLabel } from '../../domain/rules/discordance';
import { caseEyes, compileForm, factContext, isPlainObject, validateAnswers, walkScope, eyeContext, type CompiledQuestion, type ValidationError as AnswerError } from '../../domain/form/validator';
import { type AnswerValue, type NormalisedAnswers, type ScopeAnswers } from '../../domain/answers';
import { type CaseFacts } from '../../domain/case';
import { ConflictError, IdempotencyKeyReusedError, NotFoundError, ValidationError } from '../runtime/errors';
import { caseConflict, type AdjudicatorIdentity, type CaseConflictFacts } from '../../domain/assignment/access';
import { conflictError } from '../runtime/auth';
import { idempotencyKeyOf, parseOrThrow } from '../runtime/parse';
import { labelsOf, type AdjudicationStatus, type AdjudicationTask, type AdjudicationView, type ReadRef } from '../store/adjudications';
import type { FinalPick, FinalRecord } from '../store/finals';
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

/** A stored response of an idempotent write, replayed on a retry with the same key. */
export interface IdempotentResult {
  fingerprint: string;
  status: number;
  body: unknown;
}

export interface ResolveCommand {
  task: AdjudicationTask;
  final: FinalRecord;
  /** The version of every read the task names, by label. */
  readVersions: Partial<Record<ReadLabel, number>>;
  /** The case's registration time (its gsi1 sort key moves to the `final#` range). */
  registeredAt: string;
  idempotency?: { key: string; record: IdempotentResult };
}

export interface AdjudicationPorts {
  listTasks(status: AdjudicationStatus, opts: { limit: number; cursor?: string }): Promise<Page<AdjudicationTask>>;
  getTask(caseId: string): Promise<AdjudicationTask | undefined>;
  getRead(caseId: string, ref: ReadRef): Promise<ReadAnswers | undefined>;
  getCase(caseId: string): Promise<CaseInfo | undefined>;
  /** The conflict facts (site, exclusions) of the cases of a list page, in one round (BatchGetItem). */
  conflictFacts(caseIds: readonly string[]): Promise<Map<string, CaseConflictFacts>>;
  /** True when `readerId` holds any assignment on the case (first read or repeat). */
  isReaderOfCase(caseId: string, readerId: string): Promise<boolean>;
  getFinal(caseId: string): Promise<FinalRecord | undefined>;
  getIdempotent(actorId: string, key: string): Promise<IdempotentResult | undefined>;
  /**
   * One transaction: task open → resolved, final put, idempotency record, audit event. Throws
   * `ConflictError` when the task is no longer open (or the key was used concurrently).
   */
  resolve(cmd: ResolveCommand): Promise<void>;
}

export interface AdjudicationDeps {
  config: ReadingConfig;
  ports: AdjudicationPorts;
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
  const page = await deps.ports.listTasks(query.status, { limit: query.limit, cursor: query.cursor });
  // The list leaves out exactly the tasks the detail refuses (conflict of interest): the same rule
  // on the same case facts, with the task's stored holders in place of a query per task (see
  // adjudicator-access.ts). A page may come back short because of that; the cursor still continues.
  const facts = page.items.length > 0 ? await deps.ports.conflictFacts(page.items.map((t) => t.caseId)) : new Map<string, CaseConflictFacts>();
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
  previous?: IdempotentResult;
}

/**
 * Loads the task, then everything else in one parallel round (reads, case, final, idempotency
 * record, the caller's assignments), and refuses a conflicted caller before anything is used.
 */
async function load(deps: AdjudicationDeps, actor: Actor, caseId: string, opts: { idempotencyKey?: string; final?: boolean }): Promise<Loaded> {
  const task = await deps.ports.getTask(caseId);
  if (!task) throw new NotFoundError(`Adjudication task for case ${caseId}`);
  const labels = labelsOf(task);
  const [readerOfCase, info, final, previous, ...stored] = await Promise.all([
    deps.ports.isReaderOfCase(caseId, actor.sub),
    deps.ports.getCase(caseId),
    opts.final && task.status === 'resolved' ? deps.ports.getFinal(caseId) : undefined,
    opts.idempotencyKey ? deps.ports.getIdempotent(actor.sub, opts.idempotencyKey) : undefined,
    ...labels.map((l) => deps.ports.getRead(caseId, task.reads[l]!)),
  ]);
  // Resolved tasks stay viewable here (GET shows the final); only the conflict rule applies.
  const conflict = caseConflict(task, info, actor, readerOfCase);
  if (conflict) throw conflictError(conflict);
  // The task is only ever opened from stored submissions of a registered case: a data fault.
  if (!info || stored.some((r) => !r)) throw new Error(`adjudication ${caseId}: a compared read or the case record is missing`);
  const reads = Object.fromEntries(labels.map((l, i) => [l, stored[i]!])) as Reads<ReadAnswers>;
  return { task, reads, info, final, previous };
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

export interface ResolveResult {
  status: number;
  body: unknown;
}

const sameValue = (a: AnswerValue | undefined, b: AnswerValue | undefined) => JSON.stringify(a) === JSON.stringify(b);

function fingerprint(caseId: string, body: ResolveBody): string {
  // Canonical form: keys sorted at every level, so a retry that reorders keys is still "the same".
  const canonical = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(canonical) : isPlainObject(v) ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical(v[k])])) : v;
  return createHash('sha256').update(JSON.stringify([caseId, canonical(body)])).digest('hex');
}

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
  idempotencyKey: string | undefined,
): Promise<ResolveResult> {
  idempotencyKeyOf(idempotencyKey);
  const body = parseOrThrow(ResolveBodySchema, rawBody);
  if (body.reasonCode === 'other' && !body.note) throw new ValidationError('note', 'required', "note: required when reasonCode is 'other'");
  const { task, reads, info, previous } = await load(deps, actor, caseId, { idempotencyKey });
  const facts = info.facts;

  const print = fingerprint(caseId, body);
  if (previous) {
    if (previous.fingerprint !== print) {
      throw new IdempotencyKeyReusedError();
    }
    return { status: previous.status, body: previous.body };
  }
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
  const response = { status: 200, body: { caseId, status: 'resolved', final: finalView(final) } };
  await deps.ports.resolve({
    task,
    final,
    readVersions: Object.fromEntries(Object.entries(reads).map(([l, r]) => [l, r!.version])),
    registeredAt: info.registeredAt,
    ...(idempotencyKey ? { idempotency: { key: idempotencyKey, record: { fingerprint: print, ...response } } } : {}),
  });
  return response;
}

/** Validator paths ('eyes.OD.x') as request paths ('picks.eyes.OD.x'), with a hint for required ones. */
function prefixed(e: AnswerError, _already: readonly PickError[]): PickError {
  const path = e.path === '$' ? 'picks' : `picks.${e.path}`;
  const hint = e.rule === 'required' ? "; the reads leave it open: pick 'A', 'B' or { \"value\": … }" : '';
  return { path, rule: e.rule, message: `${path}: ${e.message}${hint}` };
}
