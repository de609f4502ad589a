/**
 * `GET /fleet/case-files?sessionId=…`: the streaming instance asks for the files of the case its
 * user opened; it gets short-lived presigned GET URLs for exactly that case's files, so the fleet
 * role itself needs no read access to the scans bucket.
 *
 * Why a caller is believed (details in ./README.md):
 *  1. The API is a private REST API reached only through the study VPC's execute-api endpoint, with
 *     AWS_IAM auth: only the fleet role (instance credentials) can call it at all.
 *  2. The session id is random (128 bits) and was issued by POST /cases/{caseId}/session to one
 *     reader for one case; the record, not the id, says which reader and case (SessionContext is
 *     user-editable, so it is only a lookup key). It expires (URL validity + the fleet's max
 *     session length).
 *  3. AppStream itself says which instance is streaming to that reader: DescribeSessions for the
 *     study's stack and fleet, filtered to the session's AppStream UserId, must list an ACTIVE
 *     session whose ENI private IP equals the caller's source IP as the private API sees it. On a
 *     single-session fleet that ENI belongs to this user's instance alone.
 *  4. The reader must still hold the session's assignment (a coordinator may have withdrawn it).
 * A session id guessed or copied into another instance fails 3 (the other instance's IP streams
 * another user); an id replayed from outside the VPC fails 1. Every failure is the same 403
 * "not your session", so a caller learns nothing about which check failed; the log says which.
 */
import { ForbiddenError, ValidationError } from '../shared/errors';
import { log } from '../shared/log';
import type { AdjudicationTask } from '../shared/store/adjudications';
import type { AssignmentRecord } from '../shared/store/assignments';
import { adjudicatorAccess } from '../shared/workflow/adjudicator-access';
import { auditEvent, type AuditEvent } from '../shared/store/audit';
import type { CaseFile, CaseRecord } from '../shared/store/cases';
import type { SessionRecord } from '../shared/store/sessions';

export interface CaseFilesDeps {
  getSession(sessionId: string): Promise<SessionRecord | undefined>;
  /** The exact assignment of a read session (case, reader, readNo). */
  getAssignment(caseId: string, readerId: string, readNo: number): Promise<AssignmentRecord | undefined>;
  /** Any assignment of the adjudicator on the case (conflict of interest). */
  assignmentsOf(caseId: string, readerId: string): Promise<AssignmentRecord[]>;
  getAdjudication(caseId: string): Promise<AdjudicationTask | undefined>;
  getCase(caseId: string): Promise<CaseRecord | undefined>;
  /** ENI private IPs of the ACTIVE AppStream sessions of `userId` on the study's stack and fleet. */
  activeSessionIps(userId: string): Promise<string[]>;
  /** A presigned GET URL for an object of the scans bucket. */
  presign(key: string, expiresInSeconds: number): Promise<string>;
  audit(event: AuditEvent): Promise<void>;
  urlSeconds: number;
  now: () => Date;
}

/** Session ids are 16 random bytes, base64url (see reader-api deps). */
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

export async function caseFiles(deps: CaseFilesDeps, input: { sessionId: string | undefined; sourceIp: string | undefined }): Promise<CaseFilesResult> {
  const { sessionId, sourceIp } = input;
  if (!sessionId) throw new ValidationError('sessionId', 'required', 'sessionId: is required');
  if (!SESSION_ID.test(sessionId)) throw new ValidationError('sessionId', 'format', 'sessionId: is not a session id');
  const deny = (why: string): never => {
    log.warn('case files denied', { sessionId, why });
    throw new NotYourSession();
  };
  if (!sourceIp) return deny('no_source_ip');

  const session = await deps.getSession(sessionId);
  if (!session) return deny('unknown_session');
  const now = deps.now();
  if (Date.parse(session.expiresAt) <= now.getTime()) return deny('expired');

  const ips = await deps.activeSessionIps(session.appStreamUserId);
  if (!ips.includes(sourceIp)) return deny(ips.length === 0 ? 'no_active_session' : 'ip_mismatch');

  let label: Pick<CaseFilesResult, 'ref' | 'caseId'>;
  if (session.purpose === 'adjudication') {
    // Only while the task is open and the adjudicator did not read the case (same rule as the API).
    const [task, assigned] = await Promise.all([deps.getAdjudication(session.caseId), deps.assignmentsOf(session.caseId, session.readerId)]);
    const access = adjudicatorAccess(task, assigned.length > 0, session.readerId);
    if (access !== 'ok') return deny(`adjudication_${access}`);
    label = { caseId: session.caseId };
  } else {
    const assignment = await deps.getAssignment(session.caseId, session.readerId, session.readNo);
    if (!assignment) return deny('not_assigned');
    // The assignment's ref, not the session's: sessions issued before refs existed carry none.
    if (!assignment.ref) return deny('no_ref');
    label = { ref: assignment.ref };
  }
  const c = await deps.getCase(session.caseId);
  if (!c) return deny('no_case');

  const files = await Promise.all(
    c.files.map(async (f) => ({
      key: f.key,
      exam: f.exam,
      eye: f.eye,
      ...(f.bytes !== undefined ? { bytes: f.bytes } : {}),
      url: await deps.presign(`cases/${c.caseId}/${f.key}`, deps.urlSeconds),
    })),
  );
  await deps.audit(auditEvent({ at: now.toISOString(), actor: session.readerId, action: 'case_files_issued', caseId: c.caseId, sessionId, detail: { files: files.length, purpose: session.purpose ?? 'read' } }));
  log.info('case files issued', { caseId: c.caseId, sessionId, files: files.length });
  return { ...label, expiresAt: new Date(now.getTime() + deps.urlSeconds * 1000).toISOString(), files };
}
