/**
 * POST /assignments/{ref}/withdraw (issue 9, item 13) against moto through the real handlers: the
 * slot returns and the case is claimable again, the reader's open count drops, a draft is kept in
 * the history, the audit event is written, a session issued for the assignment stops working at
 * the case-files check, and nothing treats the withdrawn assignment as live afterwards (the
 * reader's routes, claim next, a new manifest, an exclusion's response). The route's authorization
 * is in the matrix (../routes.ts).
 */
import fc from 'fast-check';
import { handler } from '../../../lambda/coordinator-api/handler';
import { handler as readerApi } from '../../../lambda/reader-api/handler';
import { handler as caseFiles } from '../../../lambda/case-files/handler';
import { handler as registerCase } from '../../../lambda/register-case/handler';
import { keys } from '../../../lambda/store/keys';
import { sessionHash } from '../../../lambda/store/sessions';
import { startHarness, type Harness, type TestUser } from '../../helpers/api-harness';
import { nestedJson } from '../../helpers/hostile-json';
import { assign, caseFiles as filesOf, seedCase, validAnswers } from '../../helpers/reading-fixtures';

jest.setTimeout(60_000);

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
}, 60_000);
afterAll(() => h?.stop(), 60_000);
beforeEach(() => h.clearTable());

const withdraw = (ref: string, opts: { body?: unknown; key?: string; token?: string } = {}) =>
  h.call(handler, {
    routeKey: 'POST /assignments/{ref}/withdraw',
    pathParameters: { ref },
    token: opts.token ?? h.users.coordinator.token,
    ...(opts.body !== undefined ? { body: opts.body } : {}),
    ...(opts.key ? { headers: { 'Idempotency-Key': opts.key } } : {}),
  });
const reader = (user: TestUser, routeKey: string, extra: { ref?: string; body?: unknown; headers?: Record<string, string> } = {}) =>
  h.call(readerApi, { routeKey, token: user.token, ...(extra.ref ? { pathParameters: { ref: extra.ref } } : {}), ...(extra.body ? { body: extra.body } : {}), ...(extra.headers ? { headers: extra.headers } : {}) });
const item = async (key: { pk: string; sk: string }) => (await h.snapshotTable()).find((i) => i.pk === key.pk && i.sk === key.sk) as Record<string, any> | undefined;
const caseItem = (caseId: string) => item(keys.case(caseId));
const auditOf = async (action: string) => (await h.snapshotTable()).filter((i) => i.action === action) as Record<string, any>[];

/** A draft saved through the reader API (version 1). */
async function saveDraft(user: TestUser, ref: string): Promise<void> {
  const res = await reader(user, 'PUT /assignments/{ref}/read', { ref, body: { answers: { eyes: { OD: { fundusQuality: 'good' } }, participant: {} } } });
  expect(res.status).toBe(201);
}

describe('withdrawing', () => {
  it('a pending first read: slot back, case claimable again for others (never for the withdrawn reader), open count down, audited', async () => {
    await seedCase(h, 'W1');
    const ref = await assign(h, 'W1', h.users.reader);
    expect(await caseItem('W1')).toMatchObject({ assignedCount: 1 });

    // Coordinators find the ref in the audit log (readers never read it).
    expect((await auditOf('case_claimed'))[0]).toMatchObject({ caseId: 'W1', actor: h.users.reader.sub, detail: { ref } });
    const res = await withdraw(ref, { body: { reason: 'conflict_of_interest' } });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ ref, status: 'withdrawn', caseId: 'W1', readerId: h.users.reader.sub, repeat: false, reason: 'conflict_of_interest', draftKept: false });

    const c = (await caseItem('W1'))!;
    expect(c).toMatchObject({ assignedCount: 0, withdrawnCount: 1, gsi2pk: 'CLAIMABLE' });
    expect([...(c.readers ?? [])]).toEqual([]);
    expect([...c.excluded]).toEqual([h.users.reader.sub]);
    expect(await item(keys.reader(h.users.reader.sub))).toMatchObject({ openCount: 0 });
    const a = (await item(keys.assignment('W1', h.users.reader.sub, 1)))!;
    expect(a).toMatchObject({ status: 'withdrawn', withdrawReason: 'conflict_of_interest', withdrawnBy: h.users.coordinator.sub });
    expect(a.gsi1pk).toBeUndefined();
    // The ref still names it: the lasting marker every later check reads.
    expect(await item(keys.assignmentRef(ref))).toBeDefined();
    expect(await auditOf('assignment_withdrawn')).toEqual([
      expect.objectContaining({ actor: h.users.coordinator.sub, caseId: 'W1', detail: expect.objectContaining({ readerId: h.users.reader.sub, ref, reason: 'conflict_of_interest', draftKept: false }) }),
    ]);

    // Gone from the reader's queue; "claim next" does not hand it back to them, but to another reader.
    expect((await reader(h.users.reader, 'GET /queue')).json.items).toEqual([]);
    expect((await reader(h.users.reader, 'POST /queue/next')).json).toMatchObject({ claimed: false, assignment: null });
    expect((await reader(h.users.reader2, 'POST /queue/next')).json).toMatchObject({ claimed: true });
    expect((await caseItem('W1'))!.assignedCount).toBe(1);
  });

  it('an in-progress read: the draft is kept as a new withdrawn version in the history; the reader gets 410', async () => {
    await seedCase(h, 'W2');
    const ref = await assign(h, 'W2', h.users.reader);
    await saveDraft(h.users.reader, ref);
    const res = await withdraw(ref);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ reason: 'other', draftKept: true });

    expect(await item(keys.read('W2', h.users.reader.sub, 1))).toMatchObject({ status: 'withdrawn', version: 2, answers: { eyes: { OD: { fundusQuality: 'good' } } } });
    const history = (await h.store.readHistory('W2', h.users.reader.sub, 1)).map((v) => [v.version, v.action, v.status]);
    expect(history).toEqual([
      [1, 'save', 'draft'],
      [2, 'withdraw', 'withdrawn'],
    ]);
    for (const [routeKey, extra] of [
      ['GET /assignments/{ref}/read', {}],
      ['POST /assignments/{ref}/session', {}],
      ['PUT /assignments/{ref}/read', { body: { answers: validAnswers(), submit: true }, headers: { 'If-Match': '2' } }],
    ] as const) {
      const r = await reader(h.users.reader, routeKey, { ref, ...extra });
      expect({ routeKey, status: r.status, code: r.json?.error?.code }).toEqual({ routeKey, status: 410, code: 'assignment_withdrawn' });
    }
  });

  it('a hidden repeat gives no slot back: only the assignment, the open count and the audit', async () => {
    await seedCase(h, 'W3');
    await assign(h, 'W3', h.users.reader2);
    expect(await h.store.assign({ caseId: 'W3', readerId: h.users.reader.sub, readNo: 2, readsPerCase: 2, studyReadsPerCase: 2, maxOpenPerReader: 10, at: '2026-01-01T00:00:00.000Z', actor: 'test' })).toBe('assigned');
    const repeat = (await h.store.assignmentsOf('W3', h.users.reader.sub))[0];
    const before = (await caseItem('W3'))!;
    const res = await withdraw(repeat.ref);
    expect(res.json).toMatchObject({ repeat: true });
    const after = (await caseItem('W3'))!;
    expect({ assignedCount: after.assignedCount, readers: [...after.readers], excluded: after.excluded }).toEqual({ assignedCount: before.assignedCount, readers: [...before.readers], excluded: undefined });
    expect(await item(keys.reader(h.users.reader.sub))).toMatchObject({ openCount: 0 });
  });
});

describe('refusals change nothing', () => {
  it('409 read_submitted once the read is in', async () => {
    await seedCase(h, 'W4');
    const ref = await assign(h, 'W4', h.users.reader);
    expect((await reader(h.users.reader, 'PUT /assignments/{ref}/read', { ref, body: { answers: validAnswers(), submit: true } })).status).toBe(201);
    const writes = h.writes();
    const res = await withdraw(ref, { key: 'w4' });
    expect({ status: res.status, code: res.json.error.code }).toEqual({ status: 409, code: 'read_submitted' });
    expect(h.writes()).toBe(writes);
  });

  it('404 for an unknown ref or a case id; 400 for a bad reason; 403 for a reader', async () => {
    await seedCase(h, 'W5');
    const ref = await assign(h, 'W5', h.users.reader);
    const writes = h.writes();
    expect((await withdraw('abcdefghijk2')).status).toBe(404);
    expect((await withdraw('W5')).status).toBe(404);
    const bad = await withdraw(ref, { body: { reason: 'bored' } });
    expect({ status: bad.status, field: bad.json.error.field }).toEqual({ status: 400, field: 'reason' });
    expect((await withdraw(ref, { body: { reason: 'other', extra: 1 } })).status).toBe(400);
    expect((await withdraw(ref, { token: h.users.reader.token })).status).toBe(403);
    expect((await withdraw(ref, { token: h.users.adjudicator.token })).status).toBe(403);
    expect(h.writes()).toBe(writes);
  });

  it('a second withdrawal: the same Idempotency-Key replays the first answer; without it 409 already_withdrawn; the key for another body 422', async () => {
    await seedCase(h, 'W6');
    const ref = await assign(h, 'W6', h.users.reader);
    const first = await withdraw(ref, { key: 'k-w6', body: { reason: 'workload' } });
    expect(first.status).toBe(200);
    const writes = h.writes();
    const again = await withdraw(ref, { key: 'k-w6', body: { reason: 'workload' } });
    expect({ status: again.status, json: again.json, replayed: again.headers['idempotent-replayed'] }).toEqual({ status: 200, json: first.json, replayed: 'true' });
    expect((await withdraw(ref)).json.error.code).toBe('already_withdrawn');
    expect((await withdraw(ref, { key: 'k-w6', body: { reason: 'other' } })).status).toBe(422);
    expect(h.writes()).toBe(writes);
    expect(await auditOf('assignment_withdrawn')).toHaveLength(1);
    expect(await item(keys.reader(h.users.reader.sub))).toMatchObject({ openCount: 0 });
  });
});

describe('nothing treats a withdrawn assignment as live', () => {
  it('a streaming session issued for it is refused at the case-files check, and the refusal is audited', async () => {
    await seedCase(h, 'W7');
    for (const f of filesOf()) await h.putObject(`cases/W7/${f.key}`, `W7:${f.key}`);
    const ref = await assign(h, 'W7', h.users.reader);
    const issued = await reader(h.users.reader, 'POST /assignments/{ref}/session', { ref });
    expect(issued.status).toBe(201);
    expect((await fetch(issued.json.streamingUrl)).status).toBe(200);
    const sessionId = h.appStream.urls().at(-1)!.SessionContext!;
    expect((await h.callFleet(caseFiles, { query: { sessionId } })).status).toBe(200);

    expect((await withdraw(ref)).status).toBe(200);
    const refused = await h.callFleet(caseFiles, { query: { sessionId } });
    expect(refused.status).toBe(403);
    expect((await auditOf('case_files_denied')).at(-1)).toMatchObject({ sessionHash: sessionHash(sessionId), detail: { reason: 'withdrawn' } });
  });

  it('a new manifest cannot replace a case whose only holder was withdrawn (their draft is of its files)', async () => {
    const upload = async (files: Array<{ key: string; body: string }>) => {
      for (const f of files) await h.putObject(`cases/W8/${f.key}`, f.body);
      await h.putObject('cases/W8/manifest.json', JSON.stringify({ caseId: 'W8', files: files.map((f) => ({ key: f.key, exam: 'fundus', eye: 'OD' })) }));
      return registerCase(h.s3Event('cases/W8/manifest.json'));
    };
    await upload([{ key: 'a.jpg', body: 'a' }]);
    const ref = await assign(h, 'W8', h.users.reader);
    await saveDraft(h.users.reader, ref);
    expect((await withdraw(ref)).status).toBe(200);
    expect((await caseItem('W8'))!.assignedCount).toBe(0);

    await upload([{ key: 'b.jpg', body: 'b' }]);
    expect((await caseItem('W8'))!.files).toEqual([expect.objectContaining({ key: 'a.jpg' })]);
    const progress = await h.call(handler, { routeKey: 'GET /progress', token: h.users.coordinator.token });
    expect(progress.json.rejections).toEqual([
      expect.objectContaining({ caseId: 'W8', reasons: [expect.objectContaining({ rule: 'case_in_use', message: expect.stringMatching(/1 withdrawn assignment/) })] }),
    ]);
  });

  it('an exclusion recorded after the assignment exists offers its withdrawal', async () => {
    await seedCase(h, 'W9');
    await seedCase(h, 'W10');
    const ref = await assign(h, 'W9', h.users.reader);
    const submitted = await assign(h, 'W10', h.users.reader);
    expect((await reader(h.users.reader, 'PUT /assignments/{ref}/read', { ref: submitted, body: { answers: validAnswers(), submit: true } })).status).toBe(201);
    const res = await h.call(handler, {
      routeKey: 'POST /assignments',
      token: h.users.coordinator.token,
      body: { caseIds: ['W9', 'W10'], exclusions: [{ readerId: h.users.reader.sub, caseIds: ['W9', 'W10'] }], hiddenRepeats: false, dryRun: true },
    });
    expect(res.status).toBe(200);
    expect(res.json.excludedAssignments).toEqual(
      expect.arrayContaining([
        { caseId: 'W9', readerId: h.users.reader.sub, ref, status: 'pending', repeat: false, withdraw: `POST /assignments/${ref}/withdraw` },
        { caseId: 'W10', readerId: h.users.reader.sub, ref: submitted, status: 'submitted', repeat: false },
      ]),
    );
    expect(res.json.excludedAssignments).toHaveLength(2);
    // Following the offer withdraws it; the next run lists it no more.
    expect((await withdraw(ref)).status).toBe(200);
    const later = await h.call(handler, { routeKey: 'POST /assignments', token: h.users.coordinator.token, body: { caseIds: ['W9'], exclusions: [{ readerId: h.users.reader.sub, caseIds: ['W9'] }], hiddenRepeats: false, dryRun: true } });
    expect(later.json.excludedAssignments).toEqual([]);
  });
});

describe('properties', () => {
  it('generated refs, bodies and keys: never a 5xx; a refused request writes nothing; an assignment is withdrawn at most once, a submitted one never', async () => {
    await seedCase(h, 'P1');
    await seedCase(h, 'P2');
    const pending = await assign(h, 'P1', h.users.reader);
    const submitted = await assign(h, 'P2', h.users.reader);
    expect((await reader(h.users.reader, 'PUT /assignments/{ref}/read', { ref: submitted, body: { answers: validAnswers(), submit: true } })).status).toBe(201);
    const json = fc.jsonValue({ maxDepth: 2 });
    const ref = fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(pending, submitted) },
      { weight: 1, arbitrary: fc.constantFrom('P1', 'abcdefghijk2', '', '../x', 'a'.repeat(80)) },
      { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
    );
    const body = fc.oneof(
      { weight: 3, arbitrary: fc.record({ reason: fc.oneof(fc.constantFrom('workload', 'other', 'conflict_of_interest', 'nope', ''), json), extra: json }, { requiredKeys: [] }) },
      { weight: 1, arbitrary: nestedJson },
      { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
      { weight: 1, arbitrary: fc.constant(undefined) },
    );
    const key = fc.oneof(fc.constant(undefined), fc.constantFrom('k1', 'k2'), fc.string({ maxLength: 12 }));
    let succeeded = 0;
    await fc.assert(
      fc.asyncProperty(ref, body, key, async (r, b, k) => {
        const writes = h.writes();
        const res = await h.call(handler, {
          routeKey: 'POST /assignments/{ref}/withdraw',
          pathParameters: { ref: r },
          token: h.users.coordinator.token,
          ...(b !== undefined ? { body: typeof b === 'string' ? b : JSON.stringify(b) } : {}),
          ...(k !== undefined ? { headers: { 'Idempotency-Key': k } } : {}),
        });
        expect(res.status).toBeLessThan(500);
        if (res.status >= 400 || res.headers['idempotent-replayed'] === 'true') expect(h.writes()).toBe(writes);
        else succeeded++;
      }),
      { numRuns: 300 },
    );
    expect(succeeded).toBeLessThanOrEqual(1);
    const withdrawn = await auditOf('assignment_withdrawn');
    expect(withdrawn.map((e) => e.detail.ref)).toEqual(succeeded ? [pending] : []);
    expect(await item(keys.assignment('P2', h.users.reader.sub, 1))).toMatchObject({ status: 'submitted' });
    expect(await item(keys.reader(h.users.reader.sub))).toMatchObject({ openCount: succeeded ? 0 : 1, submittedCount: 1 });
  });
});
