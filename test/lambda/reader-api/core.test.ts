/** The reader API's use cases with plain fakes: the decisions, retries and refusals, no AWS. */
import { sessionHash } from '../../../lambda/store/sessions';
import { ReadingConfigSchema } from '../../../domain/reading-config';
import { claimNext, getMe, getRead, getStudy, openSession, putRead, type ReaderApiDeps, type ReaderStore } from '../../../lambda/reader-api/core';
import { appStreamUserId } from '../../../lambda/runtime/appstream-user';
import type { Principal, Role } from '../../../lambda/runtime/auth';
import { AppError } from '../../../lambda/runtime/errors';
import type { AssignmentRecord, CaseRecord, ClaimableCase, ReadRecord, ReadSave } from '../../../lambda/store';
import { validAnswers } from '../../helpers/reading-fixtures';

const principal = (sub = 'reader-a', ...roles: Role[]): Principal => ({ sub, site: 'KNUH', roles: new Set(roles.length ? roles : ['reader']) });
const AT = '2025-03-01T10:00:00.000Z';

function caseRecord(over: Partial<CaseRecord> = {}): CaseRecord {
  return {
    caseId: 'C1', files: [], exams: ['fundus'], eyes: ['OD', 'OS'], octPresent: false, state: 'open', assignedCount: 2, submittedCount: 0,
    readers: ['reader-a', 'reader-b'], registeredAt: AT, updatedAt: AT, manifestSequencer: '0', ...over,
  };
}
const REF = 'abcdefgh2345';
function assignment(over: Partial<AssignmentRecord> = {}): AssignmentRecord {
  return { caseId: 'C1', readerId: 'reader-a', readNo: 1, status: 'pending', assignedAt: AT, updatedAt: AT, assignedBy: 'self', repeat: false, ref: REF, ...over };
}

/** Store methods that resolve each assignment's ref to it (and nothing else). */
function owning(...as: AssignmentRecord[]): Pick<ReaderStore, 'getAssignmentRef' | 'getAssignment'> {
  return {
    getAssignmentRef: async (ref) => {
      const a = as.find((x) => x.ref === ref);
      return a && { ref, readerId: a.readerId, caseId: a.caseId, readNo: a.readNo };
    },
    getAssignment: async (caseId, readerId, readNo) => as.find((x) => x.caseId === caseId && x.readerId === readerId && x.readNo === readNo),
  };
}

/** A store whose every method fails unless the test provides it. */
function store(over: Partial<ReaderStore>): ReaderStore {
  return new Proxy(over as ReaderStore, {
    get: (target, name: string) => target[name as keyof ReaderStore] ?? (() => Promise.reject(new Error(`unexpected store.${name}`))),
  });
}

function deps(s: Partial<ReaderStore>, over: Partial<ReaderApiDeps> = {}): ReaderApiDeps {
  return {
    store: store(s),
    streaming: { issue: async () => ({ url: 'https://stream.example/x', expiresAt: new Date(Date.parse(AT) + 60_000) }) },
    reading: ReadingConfigSchema.parse({}),
    study: { studyId: 'example', displayName: 'Example eye survey' },
    streamingUrlValiditySeconds: 60,
    sessionMaxSeconds: 3600,
    now: () => new Date(AT),
    newId: () => 'S'.repeat(22),
    random: () => 0,
    ...over,
  };
}

const statusOf = async (p: Promise<unknown>) => p.then(() => 0, (e) => (e instanceof AppError ? e.status : -1));

describe('getMe', () => {
  test('a non-reader gets no profile and causes no write', async () => {
    const r = await getMe(deps({}), principal('adm', 'admin'));
    expect(r).toEqual({ readerId: 'adm', email: undefined, roles: ['admin'], site: 'KNUH', progress: undefined });
  });
});

describe('getStudy', () => {
  test('the form, k and streaming settings of the deps, for any of the four groups, without a store call', () => {
    const reading = ReadingConfigSchema.parse({ assignment: { readsPerCase: 3 } });
    const info = getStudy(deps({}, { reading, streamingUrlValiditySeconds: 45, sessionMaxSeconds: 7200 }), principal('c1', 'coordinator'));
    expect(info).toEqual({
      studyId: 'example',
      displayName: 'Example eye survey',
      form: reading.form,
      caseFacts: ['octPresent'],
      readsPerCase: 3,
      streaming: { urlValiditySeconds: 45, sessionMaxSeconds: 7200 },
    });
    expect(() => getStudy(deps({}), { sub: 'x', roles: new Set() })).toThrow(expect.objectContaining({ status: 403 }));
  });
});

describe('claimNext', () => {
  const listed = (...cs: ClaimableCase[]) => async () => ({ cases: cs });
  const open = (id: string, n = 0): ClaimableCase => ({ caseId: id, assignedCount: n, readers: [], state: 'open' });

  test('returns the reader\'s own unfinished assignment before claiming anything', async () => {
    const r = await claimNext(deps({ firstOpenAssignment: async () => assignment({ status: 'in_progress', repeat: true, readNo: 2 }) }), principal());
    expect(r).toEqual({ assignment: { ref: REF, status: 'in_progress', assignedAt: AT, updatedAt: AT }, claimed: false });
    expect(JSON.stringify(r)).not.toMatch(/repeat|readNo|caseId|C1/);
  });

  test('a lost race is retried on the case as it is now, while it still has a slot', async () => {
    const attempts: number[] = [];
    const r = await claimNext(
      deps({
        firstOpenAssignment: async () => undefined,
        listClaimable: listed(open('C1', 0)),
        claimSlot: async (input) => {
          attempts.push(input.case.assignedCount);
          return attempts.length === 1 ? { result: 'taken', now: { ...open('C1', 1), readers: ['someone'] } } : { result: 'claimed', assignment: assignment({ caseId: 'C1' }) };
        },
      }),
      principal(),
    );
    expect(attempts).toEqual([0, 1]);
    expect(r).toMatchObject({ claimed: true });
  });

  test('a case that filled up sends the reader to a fresh listing; a case the reader holds is never retried', async () => {
    let listings = 0;
    const tried: string[] = [];
    const r = await claimNext(
      deps({
        firstOpenAssignment: async () => undefined,
        listClaimable: async () => (++listings === 1 ? { cases: [open('C1'), open('C2')] } : { cases: [open('C3')] }),
        claimSlot: async (input) => {
          tried.push(input.case.caseId);
          if (input.case.caseId === 'C1') return { result: 'taken', now: { ...open('C1', 2) } };
          return { result: 'claimed', assignment: assignment({ caseId: input.case.caseId, ref: `ref${input.case.caseId.toLowerCase()}zzzzzzz` }) };
        },
      }, { random: () => 0.999 }), // keeps the listed order
      principal(),
    );
    expect(tried).toEqual(['C1', 'C3']);
    expect(r).toMatchObject({ assignment: { ref: 'refc3zzzzzzz' } });
    expect(JSON.stringify(r)).not.toContain('C3');
  });

  test('pages past listings that hold only the reader\'s own cases; nothing left → assignment null', async () => {
    const pages = [{ cases: [], next: { k: 1 } }, { cases: [] }];
    const r = await claimNext(deps({ firstOpenAssignment: async () => undefined, listClaimable: async () => pages.shift()! }), principal());
    expect(r).toMatchObject({ assignment: null, claimed: false });
  });

  test('at the workload cap: 409 workload_cap', async () => {
    const d = deps({ firstOpenAssignment: async () => undefined, listClaimable: listed(open('C1')), claimSlot: async () => ({ result: 'reader_full' }) });
    await expect(claimNext(d, principal())).rejects.toMatchObject({ status: 409, code: 'workload_cap' });
  });

  test('endless contention ends in 503 busy, not a loop', async () => {
    const d = deps({ firstOpenAssignment: async () => undefined, listClaimable: listed(open('C1')), claimSlot: async () => ({ result: 'taken' }) });
    await expect(claimNext(d, principal())).rejects.toMatchObject({ status: 503, code: 'busy' });
  });

  test('only readers', async () => {
    expect(await statusOf(claimNext(deps({}), principal('x', 'adjudicator')))).toBe(403);
  });
});

describe('openSession', () => {
  test('the UserId comes from the sub, the context is only the new session id, and the session outlives the URL', async () => {
    const issued: unknown[] = [];
    const recorded: unknown[] = [];
    const r = await openSession(
      deps(
        { ...owning(assignment()), recordSession: async (s, a) => void recorded.push(s, a) },
        { streaming: { issue: async (i) => (issued.push(i), { url: 'u', expiresAt: new Date(AT) }) } },
      ),
      principal(),
      REF,
    );
    expect(r).toEqual({ ref: REF, streamingUrl: 'u', expiresAt: AT });
    expect(issued).toEqual([{ userId: appStreamUserId('reader-a'), sessionContext: 'S'.repeat(22), validitySeconds: 60 }]);
    expect(recorded[0]).toMatchObject({ sessionHash: sessionHash('S'.repeat(22)), readerId: 'reader-a', caseId: 'C1', readNo: 1, ref: REF, purpose: 'read', expiresAt: new Date(Date.parse(AT) + 3660_000).toISOString() });
    expect(recorded[1]).toMatchObject({ action: 'session_issued', actor: 'reader-a', caseId: 'C1', sessionHash: sessionHash('S'.repeat(22)) });
    expect(JSON.stringify(recorded)).not.toContain('S'.repeat(22));
  });

  test('an unknown ref, another reader\'s ref and a case id are the same 404, and no URL is issued', async () => {
    const issue = jest.fn();
    const d = deps(owning(assignment({ readerId: 'reader-b' })), { streaming: { issue } });
    const bodies = await Promise.all(['zzzzzzzzzzzz', REF, 'C1'].map((param) => openSession(d, principal(), param).catch((e: AppError) => [e.status, e.code, e.message])));
    expect(bodies).toEqual([bodies[0], bodies[0], bodies[0]]);
    expect(bodies[0]).toEqual([404, 'not_found', expect.any(String)]);
    expect(issue).not.toHaveBeenCalled();
  });

  test("a reader-adjudicator's own ref is a read session; an adjudicator who is no reader is refused here (the adjudication API opens tasks' cases)", async () => {
    const recorded: unknown[] = [];
    const d = deps({ ...owning(assignment()), recordSession: async (s) => void recorded.push(s) });
    const both = await openSession(d, principal('reader-a', 'reader', 'adjudicator'), REF);
    expect(both).toMatchObject({ ref: REF });
    expect(recorded[0]).toMatchObject({ caseId: 'C1', readNo: 1, ref: REF, purpose: 'read' });
    expect(await statusOf(openSession(d, principal('reader-a', 'adjudicator'), 'C1'))).toBe(403);
    expect(recorded).toHaveLength(1);
  });
});

describe('getRead', () => {
  test('works on exactly the assignment the ref names: a hidden repeat and the first read stay apart', async () => {
    const first = assignment({ status: 'submitted' });
    const repeat = assignment({ readNo: 2, repeat: true, ref: 'repeatrefxyz' });
    const asked: number[] = [];
    const d = deps({ ...owning(first, repeat), getCase: async () => caseRecord({ state: 'final' }), getRead: async (_c, _r, readNo) => (asked.push(readNo), undefined) });
    const r1 = await getRead(d, principal(), REF);
    const r2 = await getRead(d, principal(), 'repeatrefxyz');
    expect(asked).toEqual([1, 2]);
    expect(r1).toMatchObject({ ref: REF });
    expect(r2).toMatchObject({ ref: 'repeatrefxyz', editable: true });
    for (const r of [r1, r2]) expect(JSON.stringify(r)).not.toMatch(/C1|caseId|readNo|repeat"/);
  });
});

describe('putRead', () => {
  test('a lost race re-reads the idempotency record once and the assignment, not the ref', async () => {
    const calls = { idempotency: 0, ref: 0, assignment: 0 };
    const own = owning(assignment());
    let saves = 0;
    const d = deps(
      base({
        getAssignmentRef: async (ref) => (calls.ref++, own.getAssignmentRef(ref)),
        getAssignment: async (...a) => (calls.assignment++, own.getAssignment(...a)),
        getIdempotency: async () => void calls.idempotency++,
        writeReadSave: async () => (++saves === 1 ? { failed: new Set(), conflictOnly: true } : undefined),
      }),
    );
    expect((await putRead(d, principal(), { ...submit, idempotencyKey: 'k1' })).result.created).toBe(true);
    expect(calls).toEqual({ idempotency: 2, ref: 1, assignment: 2 });
  });

  const base = (over: Partial<ReaderStore> = {}): Partial<ReaderStore> => ({
    ...owning(assignment()),
    getCase: async () => caseRecord(),
    getRead: async () => undefined,
    getIdempotency: async () => undefined,
    listReads: async () => [],
    ...over,
  });
  const submit = { ref: REF, body: { answers: validAnswers(), submit: true } };

  test('a transaction conflict alone is retried; the second attempt stores the read', async () => {
    const saves: ReadSave[] = [];
    const d = deps(base({ writeReadSave: async (s) => (saves.push(s), saves.length === 1 ? { failed: new Set(), conflictOnly: true } : undefined) }));
    const r = await putRead(d, principal(), submit);
    expect(r.result.created).toBe(true);
    expect(saves).toHaveLength(2);
  });

  test('losing the version race is a 412 with the current version', async () => {
    let reads = 0;
    const d = deps(
      base({
        getRead: async () => (reads++ === 0 ? undefined : ({ version: 3 } as ReadRecord)),
        writeReadSave: async () => ({ failed: new Set(['read']), conflictOnly: false }),
      }),
    );
    await expect(putRead(d, principal(), submit)).rejects.toMatchObject({ status: 412, message: expect.stringContaining('3') });
  });

  test('a retry that lost to its own first attempt answers with the stored result', async () => {
    let stored: unknown;
    const d = deps(
      base({
        getIdempotency: async () => stored as never,
        writeReadSave: async (s) => {
          stored = s.idempotency; // the first attempt (another Lambda) committed meanwhile
          return { failed: new Set(['read', 'idempotency']), conflictOnly: false };
        },
      }),
    );
    const r = await putRead(d, principal(), { ...submit, idempotencyKey: 'k1' });
    expect(r).toMatchObject({ result: { created: true }, replayed: true });
  });

  test('a retry whose first attempt committed after its replay check answers with the stored result, not a 428', async () => {
    // Identical requests in flight at once: the first commits its read and idempotency record...
    let committed: ReadSave | undefined;
    const first = await putRead(deps(base({ writeReadSave: async (s) => void (committed = s) })), principal(), { ...submit, idempotencyKey: 'k1' });
    // ...after its twin found no record, and before the twin reads the read (now version 1).
    let idempotencyReads = 0;
    const twin = deps(
      base({
        getIdempotency: async () => (idempotencyReads++ === 0 ? undefined : committed!.idempotency),
        getRead: async () => committed!.read,
        writeReadSave: async () => Promise.reject(new Error('must not write')),
      }),
    );
    await expect(putRead(twin, principal(), { ...submit, idempotencyKey: 'k1' })).resolves.toEqual({ result: first.result, replayed: true });
    expect(idempotencyReads).toBe(2);
    // Without a key there is no twin to answer for: the 428 stands.
    await expect(statusOf(putRead(twin, principal(), submit))).resolves.toBe(428);
  });

  test('with one read per case, the first submission records a single_read final in the same save', async () => {
    let save: ReadSave | undefined;
    const reading = ReadingConfigSchema.parse({ assignment: { readsPerCase: 1 } });
    const d = deps(base({ getCase: async () => caseRecord({ assignedCount: 1, readers: ['reader-a'] }), writeReadSave: async (s) => void (save = s) }), { reading });
    const r = await putRead(d, principal(), submit);
    expect(save?.outcome?.decision).toMatchObject({ kind: 'final', final: { provenance: 'single_read' } });
    expect(save?.countCaseSubmission).toMatchObject({ submittedCount: 0 });
    expect(r.result.read).toMatchObject({ editable: false });
  });

  test('a hidden repeat (readNo 2) never counts toward the case or decides it', async () => {
    let save: ReadSave | undefined;
    const d = deps(base({ ...owning(assignment({ status: 'submitted', ref: 'firstrefabcd' }), assignment({ readNo: 2, repeat: true })), getCase: async () => caseRecord({ state: 'final', submittedCount: 2 }), writeReadSave: async (s) => void (save = s) }));
    const r = await putRead(d, principal(), submit);
    expect(r.result.created).toBe(true);
    expect(save).toMatchObject({ read: { readNo: 2 }, countReaderSubmission: true });
    expect(save?.countCaseSubmission).toBeUndefined();
    expect(save?.outcome).toBeUndefined();
  });

  test('the k-th read is decided with the other submitted first reads only, which must not change meanwhile', async () => {
    let save: ReadSave | undefined;
    const other = { caseId: 'C1', readerId: 'reader-b', readNo: 1, version: 4, status: 'submitted', answers: validAnswers({ icdr: 'pdr' }) } as ReadRecord;
    const draft = { ...other, readerId: 'reader-c', status: 'draft', version: 1 } as ReadRecord;
    const d = deps(base({ getCase: async () => caseRecord({ submittedCount: 1 }), listReads: async () => [other, draft], writeReadSave: async (s) => void (save = s) }));
    await putRead(d, principal(), submit);
    expect(save?.outcome?.decidedOn).toEqual([other]);
    expect(save?.outcome?.decision).toMatchObject({ kind: 'adjudication' });
  });

  test("an opened task names every slot holder of the case, also one whose read is not submitted", async () => {
    let save: ReadSave | undefined;
    const other = { caseId: 'C1', readerId: 'reader-b', readNo: 1, version: 1, status: 'submitted', answers: validAnswers({ icdr: 'pdr' }) } as ReadRecord;
    const c = caseRecord({ submittedCount: 1, assignedCount: 3, readers: ['reader-a', 'reader-b', 'reader-c'] });
    const d = deps(base({ getCase: async () => c, listReads: async () => [other], writeReadSave: async (s) => void (save = s) }));
    await putRead(d, principal(), submit);
    const decision = save?.outcome?.decision;
    expect(decision?.kind === 'adjudication' && [...decision.readerIds].sort()).toEqual(['reader-a', 'reader-b', 'reader-c']);
  });

  test.each([
    ['an unknown field', { answers: {}, x: 1 }, {}, 400],
    ['no answers', { submit: true }, {}, 400],
    ['a bad If-Match', { answers: {} }, { ifMatch: 'abc' }, 400],
    ['a bad Idempotency-Key', { answers: {} }, { idempotencyKey: 'has space' }, 400],
  ])('%s is refused before any store call', async (_n, body, extra, status) => {
    expect(await statusOf(putRead(deps({}), principal(), { ref: REF, body, ...extra }))).toBe(status);
  });

  test('an existing read without If-Match is 428; submitted then draft is 409', async () => {
    const current = { version: 2, status: 'submitted' } as ReadRecord;
    expect(await statusOf(putRead(deps(base({ getRead: async () => current })), principal(), { ref: REF, body: { answers: {} } }))).toBe(428);
    expect(await statusOf(putRead(deps(base({ getRead: async () => current })), principal(), { ref: REF, body: { answers: {} }, ifMatch: '2' }))).toBe(409);
  });
});
