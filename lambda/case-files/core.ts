/**
 * `GET /fleet/case-files?sessionId=…`: the streaming instance asks for the files of the case its
 * user opened; it gets short-lived presigned GET URLs for exactly that case's files, so the fleet
 * role itself needs no read access to the scans bucket.
 *
 * Why a caller is believed (details in ./README.md):
 *  1. The API is a private REST API reached only through the study VPC's execute-api endpoint, with
 *     AWS_IAM auth: only the fleet role (instance credentials) can call it at all.
 *  2. The session id is random (128 bits) and was issued by POST /assignments/{ref}/session (or
 *     POST /adjudications/{caseId}/session) to one person for one case; the record, not the id,
 *     says which person and case (SessionContext is user-editable, so it is only a lookup key). It
 *     expires (URL validity + the fleet's max session length).
 *  3. AppStream itself says which instance is streaming to that reader: DescribeSessions for the
 *     study's stack and fleet, filtered to the session's AppStream UserId, must list an ACTIVE
 *     session whose ENI private IP equals the caller's source IP as the private API sees it. On a
 *     single-session fleet that ENI belongs to this user's instance alone.
 *  4. The reader must still hold the session's assignment (a coordinator may have withdrawn it).
 * A session id guessed or copied into another instance fails 3 (the other instance's IP streams
 * another user); an id replayed from outside the VPC fails 1. Every failure is the same 403
 * "not your session", so a caller learns nothing about which check failed; the audit log
 * (`case_files_denied`, durable in the table) and the function log say which.
 *
 * The caller's address is `requestContext.identity.sourceIp` only. A request that carries
 * forwarding headers a client could have written is refused before anything is looked up: any
 * `Forwarded`, and an `X-Forwarded-For` that holds more than one address or whose (last) address
 * is not the source address (see ./README.md, "Forwarded addresses").
 *
 * The session id is a bearer secret: it is looked up, audited and logged by its hash only.
 *
 * Blinding (issue 9, item 4): nothing in the answer links a hidden repeat to its original read.
 * Files are named by position (`fundus-OD-1.jpg`), never by their manifest key; no byte sizes; and
 * a read session's URLs point at copies of the case files made for that session alone
 * (`views/<token>/<name>`, the token derived from the session id), so the object a URL names differs
 * for every session and carries no case id. A lifecycle rule on `views/` removes the copies once
 * every session that could use them has expired (lib/constructs/scans-store.ts).
 */
import { createHash } from 'node:crypto';
import { ForbiddenError, ValidationError } from '../runtime/errors';
import { mapLimited } from '../runtime/map-limited';
import { log } from '../runtime/log';
import type { ReadingStore } from '../store';
import { adjudicatorAccess } from '../../domain/assignment/access';
import { auditEvent } from '../store/audit';
import type { CaseFile } from '../../domain/case';
import type { CaseRecord } from '../store/cases';
import { sessionHash } from '../store/sessions';

/**
 * The reading table as this use case reads it (a slice of the store: the session by its id's hash,
 * the assignment or the task, the case; audit events), plus AppStream and S3.
 */
export type CaseFilesDeps = Pick<ReadingStore, 'getSession' | 'markSessionView' | 'getAssignment' | 'assignmentsOf' | 'getTask' | 'getCase' | 'putAudit' | 'pseudonymOf'> & {
  /** ENI private IPs of the ACTIVE AppStream sessions of `userId` on the study's stack and fleet. */
  activeSessionIps(userId: string): Promise<string[]>;
  /** A presigned GET URL for an object of the scans bucket. */
  presign(key: string, expiresInSeconds: number): Promise<string>;
  /** Server-side copy of one object of the scans bucket, carrying over no metadata and no tags. */
  copyObject(sourceKey: string, targetKey: string, contentType: string): Promise<void>;
  urlSeconds: number;
  now: () => Date;
};

/** Session ids are 16 random bytes, base64url (../runtime/streaming.ts). */
export const SESSION_ID = /^[A-Za-z0-9_-]{22}$/;

/**
 * A read session names the case by its assignment ref only (readers never see case ids, or a hidden
 * repeat would not be hidden); an adjudication session by its case id, as /adjudications does.
 * `reader` is the caller's study pseudonym (R001…, the exports' code) for the viewer's watermark.
 */
export interface CaseFilesResult {
  ref?: string;
  caseId?: string;
  reader: string;
  expiresAt: string;
  files: Array<Pick<CaseFile, 'exam' | 'eye'> & { name: string; url: string }>;
}

/** Where per-session copies live in the scans bucket (the bucket's lifecycle rule expires them). */
export const VIEWS_PREFIX = 'views/';

/** Copies in flight per session: a case is tens of files; S3 copies each server-side. */
const COPY_CONCURRENCY = 8;

/** Extensions a file name keeps (lower-cased), and the content type its copy is stored with. */
const CONTENT_TYPES: Record<string, string> = { dcm: 'application/dicom', jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', json: 'application/json' };

/**
 * The names a session shows for a case's files: exam, eye (`NA` for none) and position among the
 * files of that exam and eye, in manifest order, plus a known extension. They say only what the
 * viewer shows anyway, so the same case gets the same names in every session, and so does any other
 * case with the same exams.
 */
export function fileNames(files: ReadonlyArray<Pick<CaseFile, 'key' | 'exam' | 'eye'>>): Array<{ name: string; contentType: string }> {
  const seen = new Map<string, number>();
  return files.map((f) => {
    const base = `${f.exam}-${f.eye ?? 'NA'}`;
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    const ext = /\.([A-Za-z0-9]{1,5})$/.exec(f.key.slice(f.key.lastIndexOf('/') + 1))?.[1].toLowerCase();
    const known = ext !== undefined && ext in CONTENT_TYPES;
    return { name: `${base}-${n}${known ? `.${ext}` : ''}`, contentType: known ? CONTENT_TYPES[ext] : 'application/octet-stream' };
  });
}

/**
 * The folder of a session's copies: 128 bits of a hash of the session id, domain-separated from
 * `sessionHash` so the key never shows the value the table and the audit log hold.
 */
export function viewToken(sessionId: string): string {
  return createHash('sha256').update(`readroom/view\n${sessionId}`, 'utf8').digest('hex').slice(0, 32);
}

class NotYourSession extends ForbiddenError {
  constructor() {
    super('not your session');
  }
}

/** What the request carried besides the session id: its source address and any forwarding headers. */
export interface CaseFilesInput {
  sessionId: string | undefined;
  sourceIp: string | undefined;
  /** Every `X-Forwarded-For` value (header names are case-insensitive; repeated headers each count). */
  xForwardedFor?: readonly string[];
  /** Every `Forwarded` value. */
  forwarded?: readonly string[];
}

/**
 * Why a request's forwarding headers disqualify it, or undefined. API Gateway may itself record the
 * caller it saw as `X-Forwarded-For: <sourceIp>`; anything beyond that one address, or another
 * address, was written by the client (or a proxy we do not have), and `Forwarded` is never ours.
 */
export function forwardingProblem(input: Pick<CaseFilesInput, 'sourceIp' | 'xForwardedFor' | 'forwarded'>): 'forwarded_header' | 'forwarded_for_chain' | 'forwarded_for_mismatch' | undefined {
  if ((input.forwarded ?? []).length > 0) return 'forwarded_header';
  const hops = (input.xForwardedFor ?? []).flatMap((v) => v.split(',')).map((a) => a.trim());
  if (hops.length === 0) return undefined;
  if (hops.length > 1) return 'forwarded_for_chain';
  return hops[0] === input.sourceIp ? undefined : 'forwarded_for_mismatch';
}

export async function caseFiles(deps: CaseFilesDeps, input: CaseFilesInput): Promise<CaseFilesResult> {
  const { sessionId, sourceIp } = input;
  const now = deps.now();
  const hash = sessionId ? sessionHash(sessionId) : undefined;
  let caseId: string | undefined;
  // Every refusal leaves a durable trace (the function log goes with the stateless stack).
  const refuse = async (reason: string, error: Error = new NotYourSession()): Promise<never> => {
    await deps.putAudit(
      auditEvent({
        at: now.toISOString(),
        actor: 'fleet',
        action: 'case_files_denied',
        ...(caseId ? { caseId } : {}),
        ...(hash ? { sessionHash: hash } : {}),
        detail: { reason, ...(sourceIp ? { sourceIp } : {}) },
      }),
    );
    log.warn('case files denied', { sessionHash: hash, reason, sourceIp });
    throw error;
  };

  if (!sessionId) return refuse('missing_session_id', new ValidationError('sessionId', 'required', 'sessionId: is required'));
  if (!SESSION_ID.test(sessionId)) return refuse('malformed_session_id', new ValidationError('sessionId', 'format', 'sessionId: is not a session id'));
  if (!sourceIp) return refuse('no_source_ip');
  const forwarding = forwardingProblem(input);
  if (forwarding) return refuse(forwarding);

  const session = await deps.getSession(sessionId);
  if (!session) return refuse('unknown_session');
  caseId = session.caseId;
  if (Date.parse(session.expiresAt) <= now.getTime()) return refuse('expired');

  const ips = await deps.activeSessionIps(session.appStreamUserId);
  if (!ips.includes(sourceIp)) return refuse(ips.length === 0 ? 'no_active_session' : 'ip_mismatch');

  let label: Pick<CaseFilesResult, 'ref' | 'caseId'>;
  let c: CaseRecord | undefined;
  // The pseudonym is read beside the checks' reads (one round trip, not two): the session was
  // issued to this person, so allocating their code even for a call refused below is harmless.
  const pseudonym = deps.pseudonymOf(session.readerId, now.toISOString());
  let reader: string;
  if (session.purpose === 'adjudication') {
    // Only while the task is open and no conflict of interest holds: the API's rule, with the
    // adjudicator's site as it was when the session was issued (there is no token here).
    const [task, assigned, found, code] = await Promise.all([deps.getTask(session.caseId), deps.assignmentsOf(session.caseId, session.readerId), deps.getCase(session.caseId), pseudonym]);
    const access = adjudicatorAccess(task, found, { sub: session.readerId, site: session.site }, assigned.length > 0);
    if (access !== 'ok') return refuse(`adjudication_${access}`);
    label = { caseId: session.caseId };
    c = found;
    reader = code;
  } else {
    const [assignment, found, code] = await Promise.all([deps.getAssignment(session.caseId, session.readerId, session.readNo), deps.getCase(session.caseId), pseudonym]);
    if (!assignment) return refuse('not_assigned');
    // Withdrawn after the URL was issued: the session opens nothing any more.
    if (assignment.status === 'withdrawn') return refuse('withdrawn');
    // The assignment's ref, not the session's: sessions issued before refs existed carry none.
    if (!assignment.ref) return refuse('no_ref');
    label = { ref: assignment.ref };
    c = found;
    reader = code;
  }
  if (!c) return refuse('no_case');

  const names = fileNames(c.files);
  const caseKeys = c.files.map((f) => `cases/${session.caseId}/${f.key}`);
  let objectKeys: string[];
  if (session.purpose === 'adjudication') {
    // An adjudicator works by case id; nothing to hide, so the case's own objects.
    objectKeys = caseKeys;
  } else {
    const folder = `${VIEWS_PREFIX}${viewToken(sessionId)}/`;
    objectKeys = names.map((n) => `${folder}${n.name}`);
    if (!session.viewAt) {
      // First call of the session: copy, then mark. Concurrent first calls write the same keys.
      await mapLimited([...caseKeys.keys()], COPY_CONCURRENCY, (i) => deps.copyObject(caseKeys[i], objectKeys[i], names[i].contentType));
      await deps.markSessionView(sessionId, now.toISOString());
    }
  }
  const files = await Promise.all(
    c.files.map(async (f, i) => ({ name: names[i].name, exam: f.exam, eye: f.eye, url: await deps.presign(objectKeys[i], deps.urlSeconds) })),
  );
  await deps.putAudit(auditEvent({ at: now.toISOString(), actor: session.readerId, action: 'case_files_issued', caseId: c.caseId, sessionHash: hash, detail: { files: files.length, purpose: session.purpose ?? 'read' } }));
  log.info('case files issued', { caseId: c.caseId, sessionHash: hash, files: files.length });
  return { ...label, reader, expiresAt: new Date(now.getTime() + deps.urlSeconds * 1000).toISOString(), files };
}
