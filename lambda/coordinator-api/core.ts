/**
 * Coordinator routes: bulk assignment (with hidden repeats), progress, exports and the audit log.
 * Pure over slices of the store and two more ports (the reader directory, download links);
 * `adapters.ts` implements them.
 */
import * as z from 'zod';
import type { ReadingConfig } from '../../domain/reading-config';
import {
  pickRepeats,
  planAssignments,
  type Assignment,
  type CaseToAssign,
  type ReaderLoad,
  type SubmittedRead,
  type Unfilled,
} from '../../domain/assignment/plan';
import { normaliseSite } from '../../domain/site';
import { ConflictError, NotFoundError, ValidationError } from '../runtime/errors';
import { idempotencyKeyOf, idempotencyRecord, idempotentRequest, replay, type Replayable } from '../runtime/idempotency';
import { mapLimited } from '../runtime/map-limited';
import { CASE_ID } from '../runtime/http';
import type { ReadingStore } from '../store';
import type { AssignCommand } from '../store/claims';
import type { CaseRecord, CaseRejection } from '../store/cases';
import { auditEvent, type AuditEvent } from '../store/audit';
import { EXPORT_FORMATS, type ExportFile } from '../store/exports';
import type { Page } from '../store/page';
import { REF_PATTERN, type AssignmentRecord } from '../store/assignments';
import { WITHDRAW_REASONS, type Withdrawn } from '../../domain/assignment/withdraw';
import type { ReaderRecord } from '../store/readers';
import { parseOrThrow } from '../runtime/parse';

export interface Actor {
  sub: string;
}

/** Cognito subs (UUIDs) and the test/demo user names: what AppStream and DynamoDB keys accept. */
export const READER_ID = /^[A-Za-z0-9][A-Za-z0-9._@+=-]{0,127}$/;
const CaseIdSchema = z.string().regex(CASE_ID, 'must be a case id (letters, digits, . _ -; max 64)');
const ReaderIdSchema = z.string().regex(READER_ID, 'must be a reader id (the Cognito sub)');

// ---------------------------------------------------------------------------------------------
// POST /assignments

export const AssignBodySchema = z.strictObject({
  /** Cases to fill; default: the oldest open cases, up to `limit` (`more: true` says call again). */
  caseIds: z.array(CaseIdSchema).min(1).max(500).optional(),
  // Bounded so that one call (≤ k writes per case) fits comfortably in the function's timeout.
  limit: z.number().int().min(1).max(500).default(200),
  /** k; at most the study's readsPerCase (the export has that many read columns). */
  readsPerCase: z.number().int().min(1).max(5).optional(),
  maxOpenPerReader: z.number().int().min(1).max(1000).optional(),
  /** Restrict the pool to these readers; default every active reader. */
  readerIds: z.array(ReaderIdSchema).min(1).max(1000).optional(),
  /**
   * Explicit conflicts of interest, on top of the same-site rule. Recorded on the cases (unless
   * `dryRun`): later bulk runs and "claim next" honour them too.
   */
  exclusions: z.array(z.strictObject({ readerId: ReaderIdSchema, caseIds: z.array(CaseIdSchema).min(1).max(1000) })).max(1000).optional(),
  allowSameSite: z.boolean().default(false),
  hiddenRepeats: z.boolean().default(true),
  dryRun: z.boolean().default(false),
  seed: z.string().min(1).max(64).optional(),
});
export type AssignBody = z.infer<typeof AssignBodySchema>;

export interface CaseForAssignment {
  caseId: string;
  state: string;
  /** Holders of the case's first-read slots (the case item's `readers` set): they count toward k. */
  readers: string[];
  site?: string;
  /** Readers recorded as excluded from the case. */
  excluded?: string[];
}

/** A member of the directory's reader group: the Cognito `sub`, `custom:site` as stored, enabled or not. */
export interface DirectoryMember {
  readerId: string;
  site?: string;
  enabled: boolean;
}

/** The study's reader directory (the Cognito reader group). */
export interface ReaderDirectory {
  /** Every member of the reader group, with their site from the directory itself (not the profile, which only GET /me refreshes). */
  members(): Promise<DirectoryMember[]>;
}

/**
 * A member of the directory's reader group (Cognito), with the load on their profile (0 when they
 * have none yet). `site` is `custom:site` exactly as the directory holds it; the core normalises it.
 */
export interface DirectoryReader extends DirectoryMember {
  openCount: number;
  totalCount: number;
  /** False when an admin switched the reader's profile off. */
  active: boolean;
}

/** Why a reader of the directory was left out of a run. */
export type ReaderSkip = 'site_missing' | 'site_invalid' | 'disabled' | 'inactive';

/** The reading table as bulk assignment uses it: a slice of the store (every write conditional: never past k, never past the cap, never twice, never an excluded reader). */
export type AssignmentStore = Pick<ReadingStore, 'allReaders' | 'openCases' | 'getCases' | 'readerAssignments' | 'assign' | 'excludeReaders' | 'caseAssignments'>;

export interface AssignmentDeps {
  config: ReadingConfig;
  store: AssignmentStore;
  directory: ReaderDirectory;
  now(): string;
}

export interface AssignResult {
  dryRun: boolean;
  readsPerCase: number;
  assigned: Assignment[];
  repeats: Assignment[];
  unfilled: Unfilled[];
  skipped: { caseId: string; readerId?: string; reason: string }[];
  /**
   * Readers of the pool the run did not use, and why: a missing or malformed `custom:site` (an
   * administrator must set it; the same-site rule cannot hold without it), a disabled account or
   * a profile switched off.
   */
  skippedReaders: { readerId: string; reason: ReaderSkip }[];
  /** More open cases may be waiting: call again. */
  more?: boolean;
  /**
   * Assignments that already existed when this request excluded their reader from the case: an
   * exclusion stops new assignments only. Each one without a submitted read carries `withdraw`, the
   * route that takes it back (a submitted one is listed without it: its read stands, for the
   * coordinator to judge). Present only when the request has `exclusions`.
   */
  excludedAssignments?: ExcludedAssignment[];
}

export interface ExcludedAssignment {
  caseId: string;
  readerId: string;
  ref: string;
  status: AssignmentRecord['status'];
  repeat: boolean;
  /** `POST /assignments/{ref}/withdraw`, when it can still be withdrawn. */
  withdraw?: string;
}

/** Workload counters of a profile (0 for a reader who has none yet); a profile is active unless an admin switched it off. */
const loadOf = (r: ReaderRecord | undefined) => ({
  openCount: r?.openCount ?? 0,
  totalCount: (r?.openCount ?? 0) + (r?.submittedCount ?? 0),
  active: r?.active !== false,
});

/** Every member of the reader group with the load on their profile. */
async function directoryReaders(deps: AssignmentDeps): Promise<DirectoryReader[]> {
  const [members, profiles] = await Promise.all([deps.directory.members(), deps.store.allReaders()]);
  const byId = new Map(profiles.map((r) => [r.readerId, r]));
  return members.map((m) => ({ ...m, ...loadOf(byId.get(m.readerId)) }));
}

const forAssignment = (c: CaseRecord): CaseForAssignment => ({
  caseId: c.caseId,
  state: c.state,
  readers: c.readers,
  ...(c.site ? { site: c.site } : {}),
  ...(c.excluded?.length ? { excluded: c.excluded } : {}),
});

/** A reader's submitted original reads and the repeats they already have. */
async function readerHistory(store: Pick<ReadingStore, 'readerAssignments'>, readerId: string): Promise<{ submitted: SubmittedRead[]; repeats: Assignment[] }> {
  const all = await store.readerAssignments(readerId);
  const submitted: SubmittedRead[] = all
    .filter((a) => a.readNo === 1 && a.status === 'submitted' && a.submittedAt)
    .map((a) => ({ caseId: a.caseId, readerId, submittedAt: a.submittedAt! }));
  const repeats: Assignment[] = all.filter((a) => a.readNo > 1).map((a) => ({ caseId: a.caseId, readerId }));
  return { submitted, repeats };
}

export async function bulkAssign(deps: AssignmentDeps, actor: Actor, raw: Record<string, unknown>): Promise<AssignResult> {
  const body = parseOrThrow(AssignBodySchema, raw);
  const settings = deps.config.assignment;
  const k = body.readsPerCase ?? settings.readsPerCase;
  if (k > settings.readsPerCase) {
    throw new ValidationError('readsPerCase', 'max', `readsPerCase: must be at most the study's readsPerCase (${settings.readsPerCase})`);
  }
  const cap = body.maxOpenPerReader ?? settings.maxOpenPerReader;
  const now = deps.now();
  const seed = body.seed ?? now;

  const directory = await directoryReaders(deps);
  const known = new Set(directory.map((r) => r.readerId));
  body.readerIds?.forEach((id, i) => {
    if (!known.has(id)) throw new ValidationError(`readerIds.${i}`, 'not_found', `readerIds.${i}: no reader ${id} in this study's directory (Cognito group reader)`);
  });
  const { pool, skippedReaders } = eligibleReaders(body.readerIds ? directory.filter((r) => body.readerIds!.includes(r.readerId)) : directory);

  const skipped: AssignResult['skipped'] = [];
  let cases: CaseForAssignment[];
  if (body.caseIds) {
    const found = await deps.store.getCases(body.caseIds);
    cases = [];
    for (const caseId of new Set(body.caseIds)) {
      const record = found.get(caseId);
      const c = record && forAssignment(record);
      if (!c) skipped.push({ caseId, reason: 'not_found' });
      else if (c.state !== 'open') skipped.push({ caseId, reason: `not_open (${c.state})` });
      else cases.push(c);
    }
  } else {
    cases = (await deps.store.openCases(body.limit)).map(forAssignment);
  }

  // This request's exclusions plus those recorded on the cases by earlier runs.
  const declared = new Map<string, string[]>();
  for (const e of body.exclusions ?? []) for (const caseId of e.caseIds) declared.set(caseId, [...(declared.get(caseId) ?? []), e.readerId]);
  const toAssign: CaseToAssign[] = cases.map((c) => {
    const excludedReaders = [...new Set([...(c.excluded ?? []), ...(declared.get(c.caseId) ?? [])])];
    // Case sites are normalised at registration; a case registered before that is compared the same way.
    const site = c.site === undefined ? undefined : normaliseSite(c.site);
    return { caseId: c.caseId, site: site?.ok ? site.site : c.site, ...(excludedReaders.length > 0 ? { excludedReaders } : {}) };
  });
  const plan = planAssignments({
    cases: toAssign,
    readers: pool,
    readsPerCase: k,
    maxOpenPerReader: cap,
    // Only independent reads count toward k (a hidden repeat is the same reader again): exactly the
    // case's slot holders, already on the case items, so no query per case.
    existing: cases.flatMap((c) => c.readers.map((readerId) => ({ caseId: c.caseId, readerId }))),
    allowSameSite: body.allowSameSite,
    seed,
  });

  let repeats: Assignment[] = [];
  if (body.hiddenRepeats && settings.hiddenRepeatShare > 0) {
    const histories = await Promise.all(pool.filter((r) => r.active).map((r) => readerHistory(deps.store, r.readerId)));
    repeats = pickRepeats({
      submitted: histories.flatMap((h) => h.submitted),
      alreadyRepeated: histories.flatMap((h) => h.repeats),
      share: settings.hiddenRepeatShare,
      minDays: settings.hiddenRepeatMinDays,
      now,
      seed,
    });
  }

  const result: AssignResult = { dryRun: body.dryRun, readsPerCase: k, assigned: [], repeats: [], unfilled: plan.unfilled, skipped, skippedReaders };
  if (declared.size > 0) result.excludedAssignments = await excludedAssignments(deps.store, declared);
  if (body.dryRun) return { ...result, assigned: plan.assignments, repeats };

  // Recorded before any write, so a reader's "claim next" cannot take an excluded case meanwhile.
  await mapLimited([...declared], WRITE_CONCURRENCY, ([caseId, readerIds]) => deps.store.excludeReaders(caseId, readerIds, now));
  const siteOf = new Map(pool.map((r) => [r.readerId, r.site]));
  const write = async (a: Assignment, readNo: number) => {
    const site = body.allowSameSite ? undefined : siteOf.get(a.readerId);
    const command: AssignCommand = {
      ...a,
      readNo,
      readsPerCase: k,
      studyReadsPerCase: settings.readsPerCase,
      ...(site ? { site } : {}),
      maxOpenPerReader: cap,
      at: now,
      actor: actor.sub,
    };
    const outcome = await deps.store.assign(command);
    if (outcome === 'assigned') (readNo === 1 ? result.assigned : result.repeats).push(a);
    else skipped.push({ caseId: a.caseId, readerId: a.readerId, reason: outcome });
  };
  // Cases in parallel (a few at a time), each case's slots in order; every write is conditional,
  // so a race (with a reader's "next", another bulk run, a busy reader counter) can refuse a write
  // but never break k, the cap or uniqueness. Repeats share reader counters: one at a time.
  const byCase = new Map<string, Assignment[]>();
  for (const a of plan.assignments) byCase.set(a.caseId, [...(byCase.get(a.caseId) ?? []), a]);
  await mapLimited([...byCase.values()], WRITE_CONCURRENCY, async (list) => {
    for (const a of list) await write(a, 1);
  });
  for (const a of repeats) await write(a, 2);
  return { ...result, ...(body.caseIds === undefined && cases.length >= body.limit ? { more: true } : {}) };
}

const WRITE_CONCURRENCY = 8;

/** The existing assignments of readers this request excludes (one Query per case named), withdrawn ones left out. */
async function excludedAssignments(store: Pick<ReadingStore, 'caseAssignments'>, declared: ReadonlyMap<string, readonly string[]>): Promise<ExcludedAssignment[]> {
  const perCase = await mapLimited([...declared], WRITE_CONCURRENCY, async ([caseId, readerIds]) =>
    (await store.caseAssignments(caseId)).filter((a) => readerIds.includes(a.readerId) && a.status !== 'withdrawn'),
  );
  return perCase.flat().map((a) => ({
    caseId: a.caseId,
    readerId: a.readerId,
    ref: a.ref,
    status: a.status,
    repeat: a.readNo > 1,
    ...(a.status !== 'submitted' ? { withdraw: withdrawRoute(a.ref) } : {}),
  }));
}

/**
 * The readers a run may use: enabled, profile not switched off, and with a valid site code from the
 * directory (normalised). Everyone else is reported with the reason, never silently treated as
 * site-less (which would switch the same-site rule off for them).
 */
function eligibleReaders(candidates: readonly DirectoryReader[]): { pool: ReaderLoad[]; skippedReaders: AssignResult['skippedReaders'] } {
  const pool: ReaderLoad[] = [];
  const skippedReaders: AssignResult['skippedReaders'] = [];
  for (const r of candidates) {
    const site = normaliseSite(r.site);
    if (!r.enabled) skippedReaders.push({ readerId: r.readerId, reason: 'disabled' });
    else if (!r.active) skippedReaders.push({ readerId: r.readerId, reason: 'inactive' });
    else if (!site.ok) skippedReaders.push({ readerId: r.readerId, reason: site.problem === 'missing' ? 'site_missing' : 'site_invalid' });
    else pool.push({ readerId: r.readerId, site: site.site, openCount: r.openCount, totalCount: r.totalCount, active: true });
  }
  return { pool, skippedReaders };
}

// ---------------------------------------------------------------------------------------------
// GET /progress

export const CASE_STATES = ['open', 'adjudication', 'final'] as const;

export interface ReaderProgress {
  readerId: string;
  email?: string;
  site?: string;
  openCount: number;
  submittedCount: number;
}

export interface Rejection {
  caseId: string;
  at: string;
  reasons: unknown;
}

/** The reading table as /progress reads it: a slice of the store (counts and pages; nothing scans). */
export type ProgressStore = Pick<ReadingStore, 'countCases' | 'countAdjudications' | 'readersPage' | 'listRejections'>;

export const ProgressQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(100),
  cursor: z.string().min(1).max(2048).optional(),
  /** Rejected manifests per page (0 leaves them out); `rejectionsCursor` continues the list. */
  rejections: z.coerce.number().int().min(0).max(200).default(50),
  rejectionsCursor: z.string().min(1).max(2048).optional(),
});

export async function progress(store: ProgressStore, raw: Record<string, string | undefined>) {
  const q = parseOrThrow(ProgressQuerySchema, raw);
  const [counts, openAdj, resolvedAdj, readers, rejections] = await Promise.all([
    Promise.all(CASE_STATES.map(async (s) => [s, await store.countCases(s)] as const)),
    store.countAdjudications('open'),
    store.countAdjudications('resolved'),
    store.readersPage({ limit: q.limit, cursor: q.cursor }),
    q.rejections > 0 ? store.listRejections({ limit: q.rejections, cursor: q.rejectionsCursor }).catch(renameCursor('rejectionsCursor')) : Promise.resolve<Page<CaseRejection>>({ items: [] }),
  ]);
  const cases = Object.fromEntries(counts) as Record<(typeof CASE_STATES)[number], number>;
  return {
    cases: { ...cases, total: counts.reduce((s, [, n]) => s + n, 0) },
    adjudications: { open: openAdj, resolved: resolvedAdj },
    readers: readers.items.map(readerProgress),
    ...(readers.cursor ? { cursor: readers.cursor } : {}),
    rejections: rejections.items.map((r): Rejection => ({ caseId: r.caseId, at: r.at, reasons: r.reasons })),
    ...(rejections.cursor ? { rejectionsCursor: rejections.cursor } : {}),
  };
}

const readerProgress = (r: ReaderRecord): ReaderProgress => ({
  readerId: r.readerId,
  ...(r.email ? { email: r.email } : {}),
  ...(r.site ? { site: r.site } : {}),
  openCount: r.openCount ?? 0,
  submittedCount: r.submittedCount ?? 0,
});

/** A list with its own cursor parameter names it in the 400 (the store's check says `cursor`). */
const renameCursor = (param: string) => (e: unknown): never => {
  if (e instanceof ValidationError && e.details.field === 'cursor') throw new ValidationError(param, 'invalid', `${param}: is not a cursor this list returned; start again without it`);
  throw e;
};

// ---------------------------------------------------------------------------------------------
// GET /audit

export const AuditQuerySchema = z.strictObject({
  day: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD')
    .refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d), 'must be a real calendar date'),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().min(1).max(2048).optional(),
});

export async function audit(store: Pick<ReadingStore, 'listAudit'>, raw: Record<string, string | undefined>): Promise<Page<AuditEvent> & { day: string }> {
  const q = parseOrThrow(AuditQuerySchema, raw);
  const page = await store.listAudit(q.day, { limit: q.limit, cursor: q.cursor });
  return { day: q.day, items: page.items, ...(page.cursor ? { cursor: page.cursor } : {}) };
}

// ---------------------------------------------------------------------------------------------
// POST /exports, GET /exports/{exportId}

export const EXPORT_ID = /^ex-[0-9]{8}T[0-9]{6}Z-[a-z0-9]{8}$/;
/** Presigned download URLs live at most this long (the brief: ≤ 15 minutes). */
export const DOWNLOAD_URL_SECONDS = 900;

export const ExportBodySchema = z.strictObject({
  formats: z
    .array(z.enum(EXPORT_FORMATS))
    .min(1)
    .max(2)
    .refine((f) => new Set(f).size === f.length, 'must not repeat a format')
    .default([...EXPORT_FORMATS]),
});

/** Presigned GET URLs of export files (S3). */
export interface DownloadLinks {
  presign(key: string, seconds: number): Promise<string>;
}

export interface ExportCoreDeps {
  /** Writes the `queued` job (which starts the worker) with its audit event; reads a job (and requeues one nobody runs); replays a keyed request. */
  store: Pick<ReadingStore, 'createExportJob' | 'getExportJob' | 'getIdempotency' | 'nudgeExportJob'>;
  links: DownloadLinks;
  now(): string;
  newId(): string;
}

export function newExportId(now: string, random: string): string {
  return `ex-${now.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${random}`;
}

async function downloadLinks(links: DownloadLinks, files: readonly ExportFile[]) {
  return Promise.all(files.map(async (f) => ({ name: f.name, bytes: f.bytes, url: await links.presign(f.key, DOWNLOAD_URL_SECONDS) })));
}

/**
 * Queues an export and answers at once (202): the worker (lambda/export-worker) runs it, and
 * GET /exports/{exportId} reports its progress and, once complete, the download links.
 */
export async function requestExport(deps: ExportCoreDeps, actor: Actor, raw: Record<string, unknown>, idempotencyKey?: string): Promise<Replayable<ExportQueued>> {
  const body = parseOrThrow(ExportBodySchema, raw);
  // With a key, a retry of a request whose answer was lost gets that job, not a second export.
  const idempotent = idempotentRequest(actor.sub, idempotencyKeyOf(idempotencyKey), 'request export', [body]);
  const stored = await replay<ExportQueued>(deps.store, idempotent);
  if (stored) return { result: stored, replayed: true };
  const exportId = deps.newId();
  const createdAt = deps.now();
  const result: ExportQueued = { exportId, status: 'queued', createdAt, formats: body.formats };
  await deps.store.createExportJob(
    { exportId, requestedBy: actor.sub, createdAt, formats: body.formats },
    auditEvent({ at: createdAt, actor: actor.sub, action: 'export_requested', detail: { exportId, formats: body.formats.join(',') } }),
    idempotent && idempotencyRecord(idempotent, result, createdAt),
  );
  return { result, replayed: false };
}

export interface ExportQueued {
  exportId: string;
  status: 'queued';
  createdAt: string;
  formats: Array<(typeof EXPORT_FORMATS)[number]>;
}

/**
 * How long a `queued` job may wait for its worker before a poll queues it again: the stream starts
 * one within seconds, so a job still queued after this lost its record.
 */
export const NUDGE_AFTER_MS = 2 * 60_000;

/**
 * Reports an export, and keeps it moving: a poll that finds nobody running it (`running` past its
 * lease: its worker died or could not requeue it; or `queued` for NUDGE_AFTER_MS with no worker
 * started: the stream record was lost) puts it back in the queue (`nudgeExportJob`, conditional on
 * the job as read). That update's stream record starts a worker, which resumes from the checkpoint,
 * so a polled export always ends `complete` or `failed` (after 10 attempts at most). `stalled` is
 * left only for a job that changed under the poll and is, as read again, past its lease.
 */
export async function getExport(deps: Pick<ExportCoreDeps, 'store' | 'links'>, exportId: string, now: string) {
  if (!EXPORT_ID.test(exportId)) throw new ValidationError('exportId', 'format', `exportId: must match ${EXPORT_ID}`);
  let job = await deps.store.getExportJob(exportId);
  if (!job) throw new NotFoundError(`Export ${exportId}`);
  const pastLease = (j: NonNullable<typeof job>) => j.status === 'running' && j.leaseUntil !== undefined && j.leaseUntil < now;
  if (pastLease(job) || (job.status === 'queued' && Date.parse(job.requeuedAt ?? job.createdAt) + NUDGE_AFTER_MS < Date.parse(now))) {
    if (await deps.store.nudgeExportJob(exportId, job, now)) job = { ...job, status: 'queued', requeuedAt: now, leaseUntil: undefined };
    else job = (await deps.store.getExportJob(exportId)) ?? job;
  }
  const stalled = pastLease(job);
  const base = {
    exportId,
    status: stalled ? ('stalled' as const) : job.status,
    ...(stalled ? { hint: 'No worker is running this export; a retry may still take it over. If it is still stalled in a few minutes, request a new export (POST /exports).' } : {}),
    createdAt: job.createdAt,
    formats: job.formats,
    ...(job.startedAt ? { startedAt: job.startedAt } : {}),
    ...(job.completedAt ? { completedAt: job.completedAt } : {}),
    ...(job.error ? { error: job.error } : {}),
  };
  if (job.status !== 'complete' || !job.files) return base;
  return { ...base, counts: job.counts, expiresInSeconds: DOWNLOAD_URL_SECONDS, files: await downloadLinks(deps.links, job.files) };
}

// ---------------------------------------------------------------------------------------------
// POST /assignments/{ref}/withdraw

export const WithdrawBodySchema = z.strictObject({
  /** Why (recorded on the assignment and in the audit event). @default other */
  reason: z.enum(WITHDRAW_REASONS).default('other'),
});

/** The route a coordinator calls to withdraw an assignment, for responses that offer it. */
export const withdrawRoute = (ref: string) => `POST /assignments/${ref}/withdraw`;

/** The reading table as a withdrawal uses it. */
export type WithdrawStore = Pick<ReadingStore, 'getAssignmentRef' | 'getAssignment' | 'getRead' | 'getCase' | 'getIdempotency' | 'withdrawAssignment'>;

export interface WithdrawDeps {
  store: WithdrawStore;
  now(): string;
}

export interface WithdrawInput {
  ref: string;
  body: Record<string, unknown>;
  /** The raw Idempotency-Key header. */
  idempotencyKey?: string;
}


const WITHDRAW_ATTEMPTS = 5;

/**
 * Withdraws an assignment that has no submitted read, in one transaction (../store/withdrawals.ts):
 * the slot returns and the case is claimable again, the reader's open count drops, a draft stays
 * in the history, the audit event is written, and a streaming session issued for the assignment
 * opens nothing any more (case-files reads the assignment's status). 404 for an unknown ref (or
 * not a ref), 409 `read_submitted` once the read is in, 409 `already_withdrawn` for a second
 * withdrawal without the first one's Idempotency-Key (with it, the first answer is replayed).
 */
export async function withdrawAssignment(deps: WithdrawDeps, actor: Actor, input: WithdrawInput): Promise<Replayable<Withdrawn>> {
  const body = parseOrThrow(WithdrawBodySchema, input.body);
  const key = idempotencyKeyOf(input.idempotencyKey);
  const idempotent = idempotentRequest(actor.sub, key, 'withdraw assignment', [input.ref, body]);
  const replayed = async () => {
    const stored = await replay<Withdrawn>(deps.store, idempotent);
    return stored && { result: stored, replayed: true };
  };
  const first = await replayed();
  if (first) return first;

  const found = REF_PATTERN.test(input.ref) ? await deps.store.getAssignmentRef(input.ref) : undefined;
  if (!found) throw new NotFoundError(`Assignment ${input.ref}`);
  for (let attempt = 1; ; attempt++) {
    const [assignment, read, c] = await Promise.all([
      deps.store.getAssignment(found.caseId, found.readerId, found.readNo),
      deps.store.getRead(found.caseId, found.readerId, found.readNo),
      deps.store.getCase(found.caseId),
    ]);
    if (!assignment || !c) throw new NotFoundError(`Assignment ${input.ref}`);
    if (assignment.status === 'withdrawn') throw new ConflictError('This assignment was already withdrawn.', 'already_withdrawn');
    if (assignment.status === 'submitted' || read?.status === 'submitted') {
      throw new ConflictError('The reader has submitted this read; a submitted read cannot be withdrawn.', 'read_submitted');
    }
    const at = deps.now();
    const result: Withdrawn = {
      ref: assignment.ref,
      status: 'withdrawn',
      caseId: assignment.caseId,
      readerId: assignment.readerId,
      repeat: assignment.readNo > 1,
      reason: body.reason,
      withdrawnAt: at,
      draftKept: read !== undefined,
    };
    const rejected = await deps.store.withdrawAssignment({
      assignment,
      registeredAt: c.registeredAt,
      ...(read ? { read } : {}),
      reason: body.reason,
      by: actor.sub,
      at,
      audit: auditEvent({
        at,
        actor: actor.sub,
        action: 'assignment_withdrawn',
        caseId: assignment.caseId,
        detail: { readerId: assignment.readerId, ref: assignment.ref, readNo: assignment.readNo, reason: body.reason, draftKept: read !== undefined },
      }),
      ...(idempotent ? { idempotency: idempotencyRecord(idempotent, result, at) } : {}),
    });
    if (!rejected) return { result, replayed: false };
    // Lost a race: a retry of this very request may have won it, else the reader saved or
    // submitted meanwhile; look again (a submission is then a 409).
    const again = await replayed();
    if (again) return again;
    if (attempt >= WITHDRAW_ATTEMPTS) throw new ConflictError('The assignment changed while withdrawing it; try again.');
  }
}
