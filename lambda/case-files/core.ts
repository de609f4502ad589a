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
 */
import { ForbiddenError, ValidationError } from '../runtime/errors';
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
export type CaseFilesDeps = Pick<ReadingStore, 'getSession' | 'getAssignment' | 'assignmentsOf' | 'getTask' | 'getCase' | 'putAudit'> & {
  /** ENI private IPs of the ACTIVE AppStream sessions of `userId` on the study's stack and fleet. */
  activeSessionIps(userId: string): Promise<string[]>;
  /** A presigned GET URL for an object of the scans bucket. */
  presign(key: string, expiresInSeconds: number): Promise<string>;
  urlSeconds: number;
  now: () => Date;
};

/** Session ids are 16 random bytes, base64url (../runtime/streaming.ts). */
export const SESSION_ID = /^[A-Za-z0-9_-]{22}$/;

/**
 * A read session names the case by its assignment ref only (readers never see case ids, or a hidden
 * repeat would not be hidden); an adjudication session by its case id, as /adjudications does.
 */
export interface CaseFilesResult {
  ref?: string;
  caseId?: string;
  expiresAt: string;
  files: Array<Pick<CaseFile, 'key' | 'exam' | 'eye' | 'bytes'> & { url: string }>;
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
  if (session.purpose === 'adjudication') {
    // Only while the task is open and no conflict of interest holds: the API's rule, with the
    // adjudicator's site as it was when the session was issued (there is no token here).
    const [task, assigned, found] = await Promise.all([deps.getTask(session.caseId), deps.assignmentsOf(session.caseId, session.readerId), deps.getCase(session.caseId)]);
    const access = adjudicatorAccess(task, found, { sub: session.readerId, site: session.site }, assigned.length > 0);
    if (access !== 'ok') return refuse(`adjudication_${access}`);
    label = { caseId: session.caseId };
    c = found;
  } else {
    const assignment = await deps.getAssignment(session.caseId, session.readerId, session.readNo);
    if (!assignment) return refuse('not_assigned');
    // Withdrawn after the URL was issued: the session opens nothing any more.
    if (assignment.status === 'withdrawn') return refuse('withdrawn');
    // The assignment's ref, not the session's: sessions issued before refs existed carry none.
    if (!assignment.ref) return refuse('no_ref');
    label = { ref: assignment.ref };
    c = await deps.getCase(session.caseId);
  }
  if (!c) return refuse('no_case');

  const files = await Promise.all(
    c.files.map(async (f) => ({
      key: f.key,
      exam: f.exam,
      eye: f.eye,
      ...(f.bytes !== undefined ? { bytes: f.bytes } : {}),
      url: await deps.presign(`cases/${c.caseId}/${f.key}`, deps.urlSeconds),
    })),
  );
  await deps.putAudit(auditEvent({ at: now.toISOString(), actor: session.readerId, action: 'case_files_issued', caseId: c.caseId, sessionHash: hash, detail: { files: files.length, purpose: session.purpose ?? 'read' } }));
  log.info('case files issued', { caseId: c.caseId, sessionHash: hash, files: files.length });
  return { ...label, expiresAt: new Date(now.getTime() + deps.urlSeconds * 1000).toISOString(), files };
}
