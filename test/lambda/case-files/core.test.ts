/** The case-files checks with plain fakes: every step must pass, in order, and failures all look alike. */
import { caseFiles, fileNames, viewToken, type CaseFilesDeps } from '../../../lambda/case-files/core';
import { AppError } from '../../../lambda/runtime/errors';
import { sessionHash, type SessionRecord } from '../../../lambda/store';

const NOW = new Date('2025-05-01T12:00:00Z');
const SID = 'A'.repeat(22);
const session: SessionRecord = { sessionHash: sessionHash(SID), readerId: 'r1', appStreamUserId: 'user-1', caseId: 'C1', readNo: 1, createdAt: NOW.toISOString(), expiresAt: new Date(NOW.getTime() + 60_000).toISOString() };

function deps(over: Partial<CaseFilesDeps> = {}): CaseFilesDeps & { presigned: string[]; audited: unknown[]; copied: string[]; marked: string[] } {
  const presigned: string[] = [];
  const audited: unknown[] = [];
  const copied: string[] = [];
  const marked: string[] = [];
  return {
    getSession: async (id) => (id === SID ? session : undefined),
    activeSessionIps: async (u) => (u === 'user-1' ? ['10.0.0.5'] : []),
    getAssignment: async (caseId, readerId, readNo) => (caseId === 'C1' && readerId === 'r1' && readNo === 1 ? ({ caseId, readerId, readNo, ref: 'refofr1c1xyz' } as never) : undefined),
    assignmentsOf: async () => [{ caseId: 'C1', readerId: 'r1', readNo: 1 } as never],
    getTask: async () => undefined,
    getCase: async () => ({ caseId: 'C1', files: [{ key: 'f/OD.jpg', exam: 'fundus', eye: 'OD' }] }) as never,
    presign: async (key, s) => (presigned.push(`${key}@${s}`), `https://s3/${key}`),
    copyObject: async (from, to, type) => void copied.push(`${from} -> ${to} (${type})`),
    markSessionView: async (id, at) => void marked.push(`${sessionHash(id)}@${at}`),
    pseudonymOf: async (readerId) => (readerId === 'r1' ? 'R007' : 'R012'),
    putAudit: async (e) => void audited.push(e),
    urlSeconds: 300,
    now: () => NOW,
    presigned,
    audited,
    copied,
    marked,
    ...over,
  };
}
const status = (p: Promise<unknown>) => p.then(() => 200, (e) => (e instanceof AppError ? `${e.status} ${e.message}` : String(e)));

test('the happy path copies the case files for this session, presigns the copies for at most 5 minutes and audits ids only', async () => {
  const d = deps();
  const out = await caseFiles(d, { sessionId: SID, sourceIp: '10.0.0.5' });
  // A read session is labelled by its assignment ref, files by position; no case id, key or size anywhere.
  const view = `views/${viewToken(SID)}`;
  expect(out).toEqual({ ref: 'refofr1c1xyz', reader: 'R007', expiresAt: new Date(NOW.getTime() + 300_000).toISOString(), files: [{ name: 'fundus-OD-1.jpg', exam: 'fundus', eye: 'OD', url: `https://s3/${view}/fundus-OD-1.jpg` }] });
  expect(d.copied).toEqual([`cases/C1/f/OD.jpg -> ${view}/fundus-OD-1.jpg (image/jpeg)`]);
  expect(d.marked).toEqual([`${sessionHash(SID)}@${NOW.toISOString()}`]);
  expect(d.presigned).toEqual([`${view}/fundus-OD-1.jpg@300`]);
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
  expect(d.copied).toEqual([]);
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

  test('serve the case files while the task is open, with no assignment needed (no copies: adjudicators work by case id)', async () => {
    const d = adjDeps({ getTask: async () => task('open') });
    expect(await call(d)).toBe(200);
    expect(await caseFiles(adjDeps({ getTask: async () => task('open') }), { sessionId: SID, sourceIp: '10.0.0.5' })).toMatchObject({ caseId: 'C1', reader: 'R012', files: [{ name: 'fundus-OD-1.jpg' }] });
    expect(d.presigned).toEqual(['cases/C1/f/OD.jpg@300']);
    expect(d.copied).toEqual([]);
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

describe('blinding: a hidden repeat cannot be linked to its original by what the session is sent (issue 9, item 4)', () => {
  const files = [
    { key: 'K2024-000123/fundus/OD_2024-03-01_original.JPG', exam: 'fundus', eye: 'OD', bytes: 2450123 },
    { key: 'oct/OS.dcm', exam: 'oct', eye: 'OS', bytes: 99 },
    { key: 'oct/OS-2.dcm', exam: 'oct', eye: 'OS', bytes: 98 },
    { key: 'va', exam: 'va', eye: null, bytes: 2 },
  ];
  const REPEAT_SID = 'R'.repeat(22);
  const sessions: Record<string, SessionRecord> = { [SID]: session, [REPEAT_SID]: { ...session, sessionHash: sessionHash(REPEAT_SID), readNo: 2 } };
  const both = deps({
    getSession: async (id) => sessions[id],
    getAssignment: async (caseId, readerId, readNo) => ({ caseId, readerId, readNo, ref: readNo === 1 ? 'originalref1' : 'repeatref002' }) as never,
    getCase: async () => ({ caseId: 'C1', files }) as never,
  });
  const seen = async (sessionId: string) => caseFiles(both, { sessionId, sourceIp: '10.0.0.5' });

  test('no case id, manifest key, original file name or byte size in the answer; every URL of the repeat differs from every URL of the original', async () => {
    const original = await seen(SID);
    const repeat = await seen(REPEAT_SID);
    for (const out of [original, repeat]) {
      const text = JSON.stringify(out);
      for (const leak of ['C1', 'K2024', 'original.JPG', '2450123', 'oct/OS', '"bytes"', '"key"']) expect(text).not.toContain(leak);
      expect(out.files.map((f) => f.name)).toEqual(['fundus-OD-1.jpg', 'oct-OS-1.dcm', 'oct-OS-2.dcm', 'va-NA-1']);
    }
    const paths = (o: typeof original) => o.files.map((f) => new URL(f.url).pathname);
    expect(paths(repeat).filter((p) => paths(original).includes(p))).toEqual([]);
    const folders = (o: typeof original) => new Set(paths(o).map((p) => p.split('/').slice(0, -1).join('/')));
    expect([...folders(original)].filter((f) => folders(repeat).has(f))).toEqual([]);
  });

  test('a later call of the same session presigns its copies without copying again', async () => {
    const d = deps({ getSession: async () => ({ ...session, viewAt: NOW.toISOString() }) });
    await caseFiles(d, { sessionId: SID, sourceIp: '10.0.0.5' });
    expect(d.copied).toEqual([]);
    expect(d.presigned).toEqual([`views/${viewToken(SID)}/fundus-OD-1.jpg@300`]);
  });

  test('a failed copy fails the call and marks nothing, so the next call copies again', async () => {
    const d = deps({ copyObject: async () => Promise.reject(new Error('S3 down')) });
    await expect(caseFiles(d, { sessionId: SID, sourceIp: '10.0.0.5' })).rejects.toThrow('S3 down');
    expect(d.marked).toEqual([]);
    expect(d.audited).toEqual([]);
  });

  test('file names say exam, eye and position only; the view folder is not the session hash', () => {
    expect(fileNames([{ key: 'a/b.PNG', exam: 'fundus', eye: 'OS' }, { key: 'x.tar.gz', exam: 'other', eye: null }, { key: 'y.JPEG', exam: 'fundus', eye: 'OS' }])).toEqual([
      { name: 'fundus-OS-1.png', contentType: 'image/png' },
      { name: 'other-NA-1', contentType: 'application/octet-stream' },
      { name: 'fundus-OS-2.jpeg', contentType: 'image/jpeg' },
    ]);
    expect(viewToken(SID)).toMatch(/^[0-9a-f]{32}$/);
    expect(sessionHash(SID)).not.toContain(viewToken(SID));
    expect(viewToken(SID)).not.toBe(viewToken(REPEAT_SID));
  });
});

test('property: whatever the case id and manifest keys, the answer holds neither, nor any size, and every URL is under this session\'s folder', async () => {
  const fc = (await import('fast-check')).default;
  // A leading K (case ids) and Q (key segments) appear nowhere else in an answer, so a hit is a leak, not chance.
  const segment = fc.stringMatching(/^Q[A-Za-z0-9._ -]{2,15}$/);
  await fc.assert(
    fc.asyncProperty(
      fc.stringMatching(/^K[A-Za-z0-9._-]{3,20}$/),
      fc.uniqueArray(fc.record({ key: fc.array(segment, { minLength: 1, maxLength: 3 }).map((p) => p.join('/')), exam: fc.constantFrom('fundus', 'oct', 'va', 'other'), eye: fc.constantFrom('OD', 'OS', null), bytes: fc.integer({ min: 100_000, max: 10 ** 9 }) }), { minLength: 1, maxLength: 12, selector: (f) => f.key }),
      async (caseId, files) => {
        const d = deps({ getSession: async () => ({ ...session, caseId }), getAssignment: async () => ({ ref: 'refofr1c1xyz' }) as never, getCase: async () => ({ caseId, files }) as never });
        const out = await caseFiles(d, { sessionId: SID, sourceIp: '10.0.0.5' });
        const text = JSON.stringify({ ...out, files: out.files.map((f) => ({ ...f, url: new URL(f.url).pathname })) });
        expect(text).not.toContain(caseId);
        for (const f of files) {
          expect(text).not.toContain(f.key);
          expect(text).not.toContain(String(f.bytes));
        }
        for (const f of out.files) expect(f.url).toBe(`https://s3/views/${viewToken(SID)}/${f.name}`);
        expect(new Set(out.files.map((f) => f.name)).size).toBe(files.length);
      },
    ),
    { numRuns: 200 },
  );
});
