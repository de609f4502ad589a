/** The case-files checks with plain fakes: every step must pass, in order, and failures all look alike. */
import { caseFiles, type CaseFilesDeps } from '../../../lambda/case-files/core';
import { AppError } from '../../../lambda/runtime/errors';
import { sessionHash, type SessionRecord } from '../../../lambda/store';

const NOW = new Date('2025-05-01T12:00:00Z');
const SID = 'A'.repeat(22);
const session: SessionRecord = { sessionHash: sessionHash(SID), readerId: 'r1', appStreamUserId: 'user-1', caseId: 'C1', readNo: 1, createdAt: NOW.toISOString(), expiresAt: new Date(NOW.getTime() + 60_000).toISOString() };

function deps(over: Partial<CaseFilesDeps> = {}): CaseFilesDeps & { presigned: string[]; audited: unknown[] } {
  const presigned: string[] = [];
  const audited: unknown[] = [];
  return {
    getSession: async (id) => (id === SID ? session : undefined),
    activeSessionIps: async (u) => (u === 'user-1' ? ['10.0.0.5'] : []),
    getAssignment: async (caseId, readerId, readNo) => (caseId === 'C1' && readerId === 'r1' && readNo === 1 ? ({ caseId, readerId, readNo, ref: 'refofr1c1xyz' } as never) : undefined),
    assignmentsOf: async () => [{ caseId: 'C1', readerId: 'r1', readNo: 1 } as never],
    getTask: async () => undefined,
    getCase: async () => ({ caseId: 'C1', files: [{ key: 'f/OD.jpg', exam: 'fundus', eye: 'OD' }] }) as never,
    presign: async (key, s) => (presigned.push(`${key}@${s}`), `https://s3/${key}`),
    putAudit: async (e) => void audited.push(e),
    urlSeconds: 300,
    now: () => NOW,
    presigned,
    audited,
    ...over,
  };
}
const status = (p: Promise<unknown>) => p.then(() => 200, (e) => (e instanceof AppError ? `${e.status} ${e.message}` : String(e)));

test('the happy path presigns exactly the case files for at most 5 minutes and audits ids only', async () => {
  const d = deps();
  const out = await caseFiles(d, { sessionId: SID, sourceIp: '10.0.0.5' });
  // A read session is labelled by its assignment ref; the case id is only inside the presigned URL.
  expect(out).toEqual({ ref: 'refofr1c1xyz', expiresAt: new Date(NOW.getTime() + 300_000).toISOString(), files: [{ key: 'f/OD.jpg', exam: 'fundus', eye: 'OD', url: 'https://s3/cases/C1/f/OD.jpg' }] });
  expect(d.presigned).toEqual(['cases/C1/f/OD.jpg@300']);
  expect(d.audited).toEqual([expect.objectContaining({ action: 'case_files_issued', actor: 'r1', caseId: 'C1', sessionHash: sessionHash(SID), detail: { files: 1, purpose: 'read' } })]);
  expect(JSON.stringify(d.audited)).not.toContain(SID);
});

test.each([
  ['unknown session id', { sessionId: 'B'.repeat(22) }, {}],
  ['a Forwarded header', { forwarded: ['for=10.0.0.5'] }, {}],
  ['an X-Forwarded-For chain (a hop the client wrote)', { xForwardedFor: ['10.0.0.9, 10.0.0.5'] }, {}],
  ['two X-Forwarded-For headers', { xForwardedFor: ['10.0.0.9', '10.0.0.5'] }, {}],
  ['an X-Forwarded-For that is not the source address', { xForwardedFor: ['10.0.0.9'] }, {}],
  ['expired session', {}, { getSession: async () => ({ ...session, expiresAt: NOW.toISOString() }) }],
  ['no ACTIVE AppStream session for the user', {}, { activeSessionIps: async () => [] }],
  ['caller IP is not the session ENI', { sourceIp: '10.0.0.6' }, {}],
  ['no source IP at all', { sourceIp: undefined }, {}],
  ['assignment withdrawn', {}, { getAssignment: async () => undefined }],
  ['another read of the case is not this session\'s', {}, { getSession: async () => ({ ...session, readNo: 2 }) }],
])('%s → 403 not your session, nothing presigned, the refusal audited', async (_n, input, over) => {
  const d = deps(over as Partial<CaseFilesDeps>);
  const sent = { sessionId: SID, sourceIp: '10.0.0.5', ...input };
  expect(await status(caseFiles(d, sent))).toBe('403 not your session');
  expect(d.presigned).toEqual([]);
  expect(d.audited).toEqual([
    expect.objectContaining({ action: 'case_files_denied', actor: 'fleet', sessionHash: sessionHash(sent.sessionId), detail: { reason: expect.any(String), ...(sent.sourceIp ? { sourceIp: sent.sourceIp } : {}) } }),
  ]);
  expect(JSON.stringify(d.audited)).not.toContain(sent.sessionId);
});

test('the reason recorded says which check failed', async () => {
  const reasonOf = async (input: Partial<Parameters<typeof caseFiles>[1]>, over: Partial<CaseFilesDeps> = {}) => {
    const d = deps(over);
    await caseFiles(d, { sessionId: SID, sourceIp: '10.0.0.5', ...input }).catch(() => undefined);
    return (d.audited[0] as { detail: { reason: string } }).detail.reason;
  };
  expect(await reasonOf({ forwarded: ['for=1.2.3.4'] })).toBe('forwarded_header');
  expect(await reasonOf({ xForwardedFor: ['1.2.3.4, 10.0.0.5'] })).toBe('forwarded_for_chain');
  expect(await reasonOf({ xForwardedFor: ['1.2.3.4'] })).toBe('forwarded_for_mismatch');
  expect(await reasonOf({ sessionId: undefined })).toBe('missing_session_id');
  expect(await reasonOf({ sessionId: '../x' })).toBe('malformed_session_id');
  expect(await reasonOf({}, { activeSessionIps: async () => [] })).toBe('no_active_session');
  expect(await reasonOf({ sourceIp: '10.0.0.6' })).toBe('ip_mismatch');
});

test("API Gateway's own X-Forwarded-For (just the source address) is accepted", async () => {
  expect(await status(caseFiles(deps(), { sessionId: SID, sourceIp: '10.0.0.5', xForwardedFor: ['10.0.0.5'] }))).toBe(200);
});

test('the AppStream check uses the user id from the session record, not anything the caller sent', async () => {
  const asked: string[] = [];
  await caseFiles(deps({ activeSessionIps: async (u) => (asked.push(u), ['10.0.0.5']) }), { sessionId: SID, sourceIp: '10.0.0.5' });
  expect(asked).toEqual(['user-1']);
});

describe('adjudication sessions', () => {
  const adjSession: SessionRecord = { ...session, readerId: 'adj1', readNo: 0, purpose: 'adjudication', site: 'KNUH' };
  const task = (status: 'open' | 'resolved', readers = ['r1', 'r2']) =>
    ({ caseId: 'C1', status, reads: { A: { readerId: readers[0], readNo: 1 }, B: { readerId: readers[1], readNo: 1 } }, readerIds: readers }) as never;
  const adjDeps = (over: Partial<CaseFilesDeps>) => deps({ getSession: async () => adjSession, assignmentsOf: async () => [], ...over });
  const call = (d: CaseFilesDeps) => status(caseFiles(d, { sessionId: SID, sourceIp: '10.0.0.5' }));

  test('serve the case files while the task is open, with no assignment needed', async () => {
    const d = adjDeps({ getTask: async () => task('open') });
    expect(await call(d)).toBe(200);
    expect(await caseFiles(adjDeps({ getTask: async () => task('open') }), { sessionId: SID, sourceIp: '10.0.0.5' })).toMatchObject({ caseId: 'C1' });
    expect(d.presigned).toEqual(['cases/C1/f/OD.jpg@300']);
    expect(d.audited).toMatchObject([{ action: 'case_files_issued', actor: 'adj1', detail: { purpose: 'adjudication' } }]);
  });

  const caseOf = (over: Record<string, unknown>) => async () => ({ caseId: 'C1', files: [{ key: 'f/OD.jpg', exam: 'fundus', eye: 'OD' }], ...over }) as never;
  test.each<[string, Partial<CaseFilesDeps>, string]>([
    ['no task', { getTask: async () => undefined }, 'adjudication_no_open_task'],
    ['a resolved task', { getTask: async () => task('resolved') }, 'adjudication_no_open_task'],
    ['a task on a case the adjudicator read', { getTask: async () => task('open', ['adj1', 'r2']) }, 'adjudication_read_case'],
    ["a case of the adjudicator's site", { getTask: async () => task('open'), getCase: caseOf({ site: 'KNUH' }) }, 'adjudication_same_site'],
    ['a case the adjudicator was excluded from after the session was issued', { getTask: async () => task('open'), getCase: caseOf({ excluded: ['adj1'] }) }, 'adjudication_excluded'],
    ['a session issued without the adjudicator\'s site (before sites were kept)', { getTask: async () => task('open'), getSession: async () => ({ ...adjSession, site: undefined }) }, 'adjudication_site_missing'],
  ])('give the same 403 for %s', async (_name, over, reason) => {
    const d = adjDeps(over);
    expect(await call(d)).toBe('403 not your session');
    expect(d.presigned).toEqual([]);
    expect(d.audited).toMatchObject([{ action: 'case_files_denied', detail: { reason } }]);
  });

  test('a read session never falls back to the adjudication rule', async () => {
    const d = deps({ getAssignment: async () => undefined, assignmentsOf: async () => [], getTask: async () => task('open', ['x', 'y']) });
    expect(await call(d)).toBe('403 not your session');
  });
});
