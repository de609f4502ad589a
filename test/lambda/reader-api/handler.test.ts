/**
 * The reader API end to end against moto and the AppStream stand-in, through the real SDK clients,
 * with tokens from the emulated user pool verified as API Gateway's JWT authorizer would.
 */
import { sessionHash } from '../../../lambda/store/sessions';
import { handler } from '../../../lambda/reader-api/handler';
import { putRead } from '../../../lambda/reader-api/core';
import { readerApiDeps } from '../../../lambda/reader-api/adapters';
import { readingStore } from '../../../lambda/store';
import { appStreamUserId } from '../../../lambda/runtime/appstream-user';
import { SESSION_MAX_SECONDS, STREAMING_URL_VALIDITY_SECONDS, STUDY_DISPLAY_NAME, STUDY_ID, TEST_SITE, startHarness, type Harness, type TestUser } from '../../helpers/api-harness';
import { StudyInfoSchema } from '../../../domain/study';
import { validateAnswers } from '../../../domain/form/validator';
import { assign, seedCase, validAnswers } from '../../helpers/reading-fixtures';
import { losingRace, seedCase as seedSiteCase } from '../../helpers/reading-seed';

let h: Harness;
let reader: TestUser;
let reader2: TestUser;
beforeAll(async () => {
  h = await startHarness();
  ({ reader, reader2 } = h.users);
}, 60_000);
afterAll(() => h?.stop(), 60_000); // moto can take seconds to exit after a heavy suite
beforeEach(() => h.clearTable());

const me = (u: TestUser) => h.call(handler, { routeKey: 'GET /me', token: u.token });
const next = (u: TestUser) => h.call(handler, { routeKey: 'POST /queue/next', token: u.token });
const queue = (u: TestUser, query: Record<string, string> = {}) => h.call(handler, { routeKey: 'GET /queue', token: u.token, query });
// For readers the `{caseId}` path parameter is the assignment ref.
const session = (u: TestUser, ref: string) => h.call(handler, { routeKey: 'POST /assignments/{ref}/session', pathParameters: { ref: ref }, token: u.token });
const getReadRoute = (u: TestUser, ref: string) => h.call(handler, { routeKey: 'GET /assignments/{ref}/read', pathParameters: { ref: ref }, token: u.token });
const put = (u: TestUser, ref: string, body: unknown, headers: Record<string, string> = {}) =>
  h.call(handler, { routeKey: 'PUT /assignments/{ref}/read', pathParameters: { ref: ref }, token: u.token, body, headers });
const REF = /^[a-z2-7]{12}$/;
const caseOfRef = async (ref: string) => (await h.store.getAssignmentRef(ref))?.caseId;

describe('GET /me', () => {
  test('an access token is refused (its claims lack the e-mail and site), saying what to send', async () => {
    const r = await me({ ...reader, token: reader.accessToken });
    expect(r.status).toBe(401);
    expect(r.json.error.message).toMatch(/ID token/);
  });

  test('a reader gets a profile with progress; other roles get theirs without', async () => {
    const r = await me(reader);
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ readerId: reader.sub, email: reader.email, roles: ['reader'], site: TEST_SITE, progress: { open: 0, submitted: 0 } });
    const a = await me(h.users.admin);
    expect(a.json).toEqual({ readerId: h.users.admin.sub, email: h.users.admin.email, roles: ['admin'], site: TEST_SITE });
  });
});

describe('GET /study', () => {
  const study = (u: TestUser) => h.call(handler, { routeKey: 'GET /study', token: u.token });

  test('answers the form the server validates with, labels in both languages, the conditions as the domain compiles them, k and the streaming settings', async () => {
    const r = await study(reader);
    expect(r.status).toBe(200);
    expect(r.headers['cache-control']).toBe('no-store');
    const info = StudyInfoSchema.parse(r.json);
    expect(info).toEqual({
      studyId: STUDY_ID,
      displayName: STUDY_DISPLAY_NAME,
      form: h.readingConfig.form,
      caseFacts: ['octPresent'],
      readsPerCase: h.readingConfig.assignment.readsPerCase,
      streaming: { urlValiditySeconds: STREAMING_URL_VALIDITY_SECONDS, sessionMaxSeconds: SESSION_MAX_SECONDS },
    });
    const questions = info.form.sections.flatMap((s) => s.questions);
    const dme = questions.find((q) => q.key === 'dme');
    expect(dme && 'optionLabels' in dme && dme.optionLabels?.present).toEqual({ en: 'Present', ko: '있음' });
    expect(questions.find((q) => q.key === 'dmeSeverity')?.visibleIf).toBe("dme == 'present'");
    // A client checks answers with the same domain code, on the form it was served.
    const facts = { octPresent: false };
    expect(validateAnswers(info.form, validAnswers(), facts, { mode: 'submit' })).toEqual(validateAnswers(h.readingConfig.form, validAnswers(), facts, { mode: 'submit' }));
    const hidden = validateAnswers(info.form, { ...validAnswers(), eyes: { ...validAnswers().eyes, OD: { ...validAnswers().eyes.OD, dmeSeverity: 'mild' } } }, facts, { mode: 'submit' });
    expect(hidden.ok ? [] : hidden.errors.map((e) => [e.path, e.rule])).toEqual([['eyes.OD.dmeSeverity', 'hidden']]);
  });

  test('every group gets the same answer; a signed-in user in none of the groups is refused and nothing is written', async () => {
    const bodies = await Promise.all(['reader', 'adjudicator', 'coordinator', 'admin'].map(async (u) => (await study(h.users[u as 'reader'])).json));
    for (const b of bodies) expect(b).toEqual(bodies[0]);
    const nobody = await h.createUser(`no-group-${Date.now()}`, []);
    const writes = h.writes();
    const r = await study(nobody);
    expect([r.status, r.json.error.code]).toEqual([403, 'forbidden']);
    expect(h.writes()).toBe(writes);
  });
});

describe('POST /queue/next and GET /queue', () => {
  test('nothing to claim → assignment null', async () => {
    const r = await next(reader);
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ assignment: null, claimed: false });
  });

  test('claims a case, then returns the open one again until it is submitted', async () => {
    await seedCase(h, 'C1');
    await seedCase(h, 'C2');
    const first = await next(reader);
    expect(first.status).toBe(200);
    expect(first.json.claimed).toBe(true);
    expect(first.json.assignment).toEqual({ ref: expect.stringMatching(REF), status: 'pending', assignedAt: expect.any(String), updatedAt: expect.any(String) });
    const again = await next(reader);
    expect(again.json).toMatchObject({ claimed: false, assignment: { ref: first.json.assignment.ref } });
    const caseId = await caseOfRef(first.json.assignment.ref);
    expect(caseId).toMatch(/^C[12]$/);
    const c = await h.store.getCase(caseId!);
    expect(c).toMatchObject({ assignedCount: 1, readers: [reader.sub] });
    expect((await me(reader)).json.progress).toEqual({ open: 1, submitted: 0 });
  });

  test('a case leaves the claimable index once k readers hold it; nobody gets it twice', async () => {
    await seedCase(h, 'C1');
    expect(await caseOfRef((await next(reader)).json.assignment.ref)).toBe('C1');
    expect(await caseOfRef((await next(reader2)).json.assignment.ref)).toBe('C1');
    const third = await h.createUser(`third-${Date.now()}`, ['reader']);
    expect((await next(third)).json.assignment).toBeNull();
    expect(await h.store.getCase('C1')).toMatchObject({ assignedCount: 2 });
  });

  test('paginates with an opaque cursor that only works for its owner', async () => {
    const refs: string[] = [];
    for (const id of ['Q1', 'Q2', 'Q3']) {
      await seedCase(h, id);
      refs.push(await assign(h, id, reader));
    }
    const p1 = await queue(reader, { limit: '2' });
    expect(p1.status).toBe(200);
    expect(p1.json.items.map((i: { ref: string }) => i.ref)).toEqual(refs.slice(0, 2));
    expect(p1.json.cursor).toEqual(expect.any(String));
    // The cursor is the index key only: the queue partition and `<status>#<at>#<ref>`, no case id or readNo.
    const decoded = JSON.parse(Buffer.from(p1.json.cursor, 'base64url').toString('utf8'));
    expect(Object.keys(decoded).sort()).toEqual(['gsi1pk', 'gsi1sk']);
    expect(decoded.gsi1sk).toMatch(new RegExp(`^pending#.+#${refs[1]}$`));
    expect(JSON.stringify(decoded)).not.toMatch(/Q[123]|CASE#|ASSIGN#/);
    expect(JSON.stringify(p1.json.items)).not.toMatch(/Q[123]/);
    const p2 = await queue(reader, { limit: '2', cursor: p1.json.cursor });
    expect(p2.json.items.map((i: { ref: string }) => i.ref)).toEqual([refs[2]]);
    expect(p2.json.cursor).toBeUndefined();
    const stolen = await queue(reader2, { cursor: p1.json.cursor });
    expect(stolen.status).toBe(400);
    expect(stolen.json.error).toMatchObject({ field: 'cursor', rule: 'invalid' });
    // A cursor re-pointed at another reader's ref within the caller's own partition is refused too.
    const other = await (async () => (await seedCase(h, 'Q9'), assign(h, 'Q9', reader2)))();
    const forged = Buffer.from(JSON.stringify({ ...decoded, gsi1sk: decoded.gsi1sk.replace(refs[1], other) })).toString('base64url');
    expect((await queue(reader, { cursor: forged })).json.error).toMatchObject({ field: 'cursor', rule: 'invalid' });
    expect((await queue(reader, { cursor: 'not-a-cursor' })).status).toBe(400);
    expect((await queue(reader, { limit: '0' })).json.error).toMatchObject({ field: 'limit', rule: 'range' });
    expect((await queue(reader, { status: 'done' })).json.error).toMatchObject({ field: 'status', rule: 'enum' });
    const pending = await queue(reader, { status: 'pending' });
    expect(pending.json.items).toHaveLength(3);
    // A cursor of the pending listing replayed with another status filter: a 400, not a 500.
    const crossed = await queue(reader, { status: 'submitted', cursor: p1.json.cursor });
    expect([crossed.status, crossed.json.error]).toEqual([400, expect.objectContaining({ field: 'cursor', rule: 'invalid' })]);
    expect((await queue(reader, { status: 'pending', cursor: p1.json.cursor })).json.items.map((i: { ref: string }) => i.ref)).toEqual([refs[2]]);
  });

  test("never claims a case of the reader's own site (Cognito custom:site) or one they are excluded from", async () => {
    const seoul = await h.createUser(`seoul-${Date.now()}`, ['reader'], 'SEOUL');
    expect((await me(seoul)).status).toBe(200);
    expect(await h.store.getReader(seoul.sub)).toMatchObject({ site: 'SEOUL' });
    await seedSiteCase(h, 'S1', 'SEOUL');
    await seedCase(h, 'X1');
    await h.store.excludeReaders('X1', [seoul.sub], new Date().toISOString());
    expect((await next(seoul)).json).toMatchObject({ assignment: null, claimed: false });
    // The claim's own condition refuses both too, not only the listing's filter.
    for (const id of ['S1', 'X1']) {
      const c = (await h.store.getCase(id))!;
      const out = await h.store.claimSlot({ case: c, readerId: seoul.sub, site: 'SEOUL', readsPerCase: 2, maxOpenPerReader: 10, at: new Date().toISOString(), assignedBy: 'self' });
      expect(out).toMatchObject({ result: 'taken', now: { caseId: id, assignedCount: 0 } });
    }
    await seedSiteCase(h, 'B1', 'BUSAN');
    expect(await caseOfRef((await next(seoul)).json.assignment.ref)).toBe('B1');
    // A reader of another site may take the Seoul case.
    const busan = await h.createUser(`busan-${Date.now()}`, ['reader'], 'BUSAN');
    expect(await caseOfRef((await next(busan)).json.assignment.ref)).toMatch(/^(S1|X1)$/);
  });

  test("site codes compare after normalising: a reader whose custom:site is ' snuh' never gets a SNUH case", async () => {
    const snuh = await h.createUser(`snuh-${Date.now()}`, ['reader'], ' snuh');
    expect((await me(snuh)).json).toMatchObject({ site: 'SNUH' });
    await seedSiteCase(h, 'SN1', 'SNUH');
    // SN1 is the only case there is: it must not be taken.
    expect((await next(snuh)).json).toMatchObject({ assignment: null, claimed: false });
    expect((await h.store.getCase('SN1'))!.readers).not.toContain(snuh.sub);
  });

  test.each([
    ['no custom:site', null, 'site_missing'],
    ['a custom:site with a trailing space and a non-ASCII letter', 'Seoul-é ', 'site_invalid'],
    ['a custom:site that upper-cases to ASCII (ß → SS)', 'straße', 'site_invalid'],
  ])('a reader with %s cannot claim: 403 saying an administrator must set it, nothing written', async (_name, site, code) => {
    const user = await h.createUser(`nosite-${code}-${Date.now()}`, ['reader'], site);
    await seedCase(h, `NS-${code}`);
    const writes = h.writes();
    const res = await next(user);
    expect(res.status).toBe(403);
    expect(res.json.error.code).toBe(code);
    expect(res.json.error.message).toMatch(/administrator must set it/);
    expect(h.writes()).toBe(writes);
    expect((await me(user)).json).toMatchObject({ siteProblem: code === 'site_missing' ? 'missing' : 'malformed' });
  });

  test('a body on next is refused naming the field', async () => {
    const r = await h.call(handler, { routeKey: 'POST /queue/next', token: reader.token, body: { caseId: 'C1' } });
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({ field: 'caseId', rule: 'unknown' });
    expect((await h.call(handler, { routeKey: 'POST /queue/next', token: reader.token, body: {} })).status).toBe(200);
  });
});

describe('POST /assignments/{ref}/session', () => {
  test('issues a streaming URL for the assigned reader only, with an opaque context and a stable UserId', async () => {
    // A '.' cannot occur in the random URL token or session id, so finding the id means it leaked.
    const CASE_S1 = 'CASE.S1';
    await seedCase(h, CASE_S1);
    const unknown = await session(reader, 'zzzzzzzzzzzz');
    expect(unknown.status).toBe(404);
    expect((await session(reader, CASE_S1)).json).toEqual(unknown.json); // same answer for a case id, assigned or not
    const ref = await assign(h, CASE_S1, reader);
    expect((await session(reader, CASE_S1)).json).toEqual(unknown.json);
    const r = await session(reader, ref);
    expect(r.status).toBe(201);
    expect(r.json).toEqual({ ref, streamingUrl: expect.stringContaining(h.appStream.endpoint), expiresAt: expect.any(String) });
    expect(r.body).not.toContain(CASE_S1);
    const issued = h.appStream.urls().at(-1)!;
    expect(issued.UserId).toBe(appStreamUserId(reader.sub));
    expect(issued.UserId).toMatch(/^[\w+=,.@-]{32}$/);
    expect(issued.SessionContext).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(issued.SessionContext).not.toContain(CASE_S1);
    expect(issued).toMatchObject({ StackName: h.stackName, FleetName: h.fleetName });
    const snapshot = await h.snapshotTable();
    expect(snapshot.find((i) => i.pk === `SESSION#${sessionHash(issued.SessionContext!)}`)).toMatchObject({ readerId: reader.sub, caseId: CASE_S1, readNo: 1, ref, appStreamUserId: issued.UserId });
    expect(snapshot.filter((i) => i.type === 'audit' && i.action === 'session_issued')).toHaveLength(1);
    // A second session: same UserId, new session id.
    await session(reader, ref);
    const [a, b] = h.appStream.urls().slice(-2);
    expect(b.UserId).toBe(a.UserId);
    expect(b.SessionContext).not.toBe(a.SessionContext);
  });
});

describe('GET/PUT /assignments/{ref}/read', () => {
  let ref1: string;
  let ref2: string;
  beforeEach(async () => {
    await seedCase(h, 'R1', { context: { bcvaOD: 0.8 } });
    ref1 = await assign(h, 'R1', reader);
    ref2 = await assign(h, 'R1', reader2);
  });

  test('before any save: version 0 with the case facts and context', async () => {
    const r = await getReadRoute(reader, ref1);
    expect(r.status).toBe(200);
    expect(r.headers.etag).toBe('"0"');
    expect(r.json).toMatchObject({ ref: ref1, version: 0, status: 'not_started', editable: true, facts: { octPresent: false, eyes: ['OD', 'OS'] }, context: { bcvaOD: 0.8 } });
  });

  test('a hidden repeat reads like any case: the same measurements as its original, nothing that names the case (issue 9, item 4)', async () => {
    const caseId = `K2024-${Date.now()}`;
    const context = { bcvaOD: 0.8, iopOS: 15, ageBand5y: '60-64', visitId: 'V-000917', accessionNumber: 'A77', note: `from ${caseId.toLowerCase()} batch` };
    await seedCase(h, caseId, { context });
    const originalRef = await assign(h, caseId, reader);
    expect(await h.store.assign({ caseId, readerId: reader.sub, readNo: 2, readsPerCase: 2, studyReadsPerCase: 2, maxOpenPerReader: 100, at: new Date().toISOString(), actor: 'test' })).toBe('assigned');
    const repeatRef = (await h.store.getAssignment(caseId, reader.sub, 2))!.ref!;
    const original = await getReadRoute(reader, originalRef);
    const repeat = await getReadRoute(reader, repeatRef);
    for (const r of [original, repeat]) {
      expect(r.status).toBe(200);
      expect(r.json.context).toEqual({ bcvaOD: 0.8, iopOS: 15, ageBand5y: '60-64' });
      for (const leak of [caseId, caseId.toLowerCase(), 'V-000917', 'A77', 'readNo', 'repeat', 'caseId']) expect(r.body).not.toContain(leak);
    }
    // Apart from the ref, the two answers are the same.
    const { ref: a, ...originalRest } = original.json;
    const { ref: b, ...repeatRest } = repeat.json;
    expect(a).not.toBe(b);
    expect(repeatRest).toEqual(originalRest);
  });

  test('drafts: create, If-Match required afterwards, stale versions refused, every version in history', async () => {
    const draft = { answers: { eyes: { OD: { fundusQuality: 'good' } } } };
    const v1 = await put(reader, ref1, draft);
    expect(v1.status).toBe(201);
    expect(v1.headers.etag).toBe('"1"');
    expect(v1.json).toMatchObject({ version: 1, status: 'draft' });
    const noMatch = await put(reader, ref1, draft);
    expect(noMatch.status).toBe(428);
    expect(noMatch.json.error).toMatchObject({ field: 'If-Match', rule: 'required' });
    const stale = await put(reader, ref1, draft, { 'If-Match': '"0"' });
    expect(stale.status).toBe(412);
    const v2 = await put(reader, ref1, draft, { 'If-Match': '"1"' });
    expect(v2.status).toBe(200);
    expect(v2.json.version).toBe(2);
    expect((await put(reader, ref1, draft, { 'If-Match': 'yesterday' })).json.error).toMatchObject({ field: 'If-Match', rule: 'format' });
    const hist = await h.store.readHistory('R1', reader.sub, 1);
    expect(hist.map((v) => [v.version, v.action])).toEqual([
      [1, 'save'],
      [2, 'save'],
    ]);
    expect((await queue(reader)).json.items[0].status).toBe('in_progress');
  });

  test('invalid answers: 400 naming the field and rule, store unchanged', async () => {
    const before = await h.snapshotTable();
    const r = await put(reader, ref1, { answers: { eyes: { OD: { icdrLevel: 'very_bad' } } } });
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({ code: 'validation_failed', field: 'answers.eyes.OD.icdrLevel', rule: expect.any(String) });
    expect(await h.snapshotTable()).toEqual(before);
    const sub = await put(reader, ref1, { answers: { eyes: { OD: { fundusQuality: 'good' } } }, submit: true });
    expect(sub.status).toBe(400);
    expect(sub.json.error.errors.some((e: { rule: string }) => e.rule === 'required')).toBe(true);
    expect((await put(reader, ref1, { answers: {}, extra: 1 })).json.error).toMatchObject({ field: 'extra', rule: 'unknown' });
    expect((await put(reader, ref1, { answers: {}, submit: 'yes' })).json.error).toMatchObject({ field: 'submit', rule: 'type' });
    expect((await put(reader, ref1, '{not json')).json.error).toMatchObject({ field: 'body', rule: 'json' });
    expect(await h.snapshotTable()).toEqual(before);
  });

  test('submit, amend, then the second read completes the case as concordant', async () => {
    const s1 = await put(reader, ref1, { answers: validAnswers(), submit: true });
    expect(s1.status).toBe(201);
    expect(s1.json).toMatchObject({ status: 'submitted', version: 1, editable: true });
    expect((await put(reader, ref1, { answers: validAnswers() }, { 'If-Match': '1' })).json.error.code).toBe('already_submitted');
    const amended = await put(reader, ref1, { answers: validAnswers({ vcdr: 0.35 }), submit: true }, { 'If-Match': '1' });
    expect(amended.status).toBe(200);
    expect(amended.json.version).toBe(2);
    expect((await me(reader)).json.progress).toEqual({ open: 0, submitted: 1 });

    const s2 = await put(reader2, ref2, { answers: validAnswers(), submit: true });
    expect(s2.status).toBe(201);
    expect(s2.json.editable).toBe(false);
    expect(await h.store.getCase('R1')).toMatchObject({ state: 'final', submittedCount: 2 });
    const final = await h.store.getFinal('R1');
    expect(final).toMatchObject({ provenance: 'concordant', decidedBy: 'system' });
    expect(final!.value.eyes.OD!.vcdr).toBe(0.35); // the more severe of 0.3 / 0.35
    expect(await h.store.getTask('R1')).toBeUndefined();
    const locked = await put(reader, ref1, { answers: validAnswers(), submit: true }, { 'If-Match': '2' });
    expect(locked.status).toBe(409);
    expect(locked.json.error.code).toBe('read_locked');
    const hist = await h.store.readHistory('R1', reader.sub, 1);
    expect(hist.map((v) => v.action)).toEqual(['submit', 'amend']);
  });

  test('an amendment that loses the race to the deciding read is refused (read_locked) and changes nothing', async () => {
    expect((await put(reader, ref1, { answers: validAnswers(), submit: true })).status).toBe(201);
    // reader2's deciding submission commits between the amendment's plan and its transaction.
    const racing = losingRace(h.ddb, () => put(reader2, ref2, { answers: validAnswers(), submit: true }));
    const deps = { ...readerApiDeps(), store: readingStore(racing, h.tableName) };
    const amend = putRead(deps, { sub: reader.sub, roles: new Set(['reader'] as const) }, { ref: ref1, body: { answers: validAnswers({ vcdr: 0.5 }), submit: true }, ifMatch: '1' });
    await expect(amend).rejects.toMatchObject({ status: 409, code: 'read_locked' });
    expect(racing.raced()).toBe(true);
    expect(await h.store.getCase('R1')).toMatchObject({ state: 'final' });
    expect(await h.store.getRead('R1', reader.sub, 1)).toMatchObject({ version: 1 });
    expect((await h.store.readHistory('R1', reader.sub, 1)).map((v) => v.action)).toEqual(['submit']);
    expect((await h.store.getFinal('R1'))!.value.eyes.OD!.vcdr).toBe(0.3);
  });

  test('discordant reads open an adjudication task and nothing reveals the other reader', async () => {
    await put(reader, ref1, { answers: validAnswers({ icdr: 'none' }), submit: true });
    const r2 = await put(reader2, ref2, { answers: validAnswers({ icdr: 'severe_npdr' }), submit: true });
    expect(r2.status).toBe(201);
    expect(await h.store.getCase('R1')).toMatchObject({ state: 'adjudication' });
    const task = await h.store.getTask('R1');
    expect(task).toMatchObject({ status: 'open', priority: 'normal' });
    expect(task!.reasons.some((x) => x.rule === 'D2' && x.question === 'icdrLevel')).toBe(true);
    expect(await h.store.getFinal('R1')).toBeUndefined();
    // Blinding: the second reader's answers are exactly their own, and no response names the first reader.
    for (const res of [r2, await getReadRoute(reader2, ref2), await queue(reader2), await me(reader2), await next(reader2)]) {
      expect(res.body).not.toContain(reader.sub);
      expect(res.body).not.toMatch(/readNo|repeat/);
      for (const id of res.body!.match(/"readerId":"[^"]*"/g) ?? []) expect(id).toBe(`"readerId":"${reader2.sub}"`);
    }
    expect((await getReadRoute(reader2, ref2)).json.answers).toEqual(validAnswers({ icdr: 'severe_npdr' }));
    expect((await getReadRoute(reader, ref1)).json.answers).toEqual(validAnswers({ icdr: 'none' }));
  });

  test('Idempotency-Key: a retry returns the first answer, a reused key for another body is refused', async () => {
    const body = { answers: validAnswers(), submit: true };
    const first = await put(reader, ref1, body, { 'Idempotency-Key': 'k-1' });
    const retry = await put(reader, ref1, body, { 'Idempotency-Key': 'k-1' });
    expect(retry.status).toBe(first.status);
    expect(retry.json).toEqual(first.json);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect((await h.store.getRead('R1', reader.sub, 1))!.version).toBe(1);
    const other = await put(reader, ref1, { answers: validAnswers({ vcdr: 0.4 }), submit: true }, { 'Idempotency-Key': 'k-1', 'If-Match': '1' });
    expect(other.status).toBe(422);
    expect(other.json.error).toMatchObject({ field: 'Idempotency-Key', rule: 'reused' });
    expect((await put(reader, ref1, body, { 'Idempotency-Key': 'bad key!' })).json.error).toMatchObject({ field: 'Idempotency-Key', rule: 'format' });
  });

  test("another reader's ref, an unknown ref and a case id are one and the same 404, and change nothing", async () => {
    const outsider = await h.createUser(`outsider-${Date.now()}`, ['reader']);
    const before = await h.snapshotTable();
    const unknown = await getReadRoute(outsider, 'zzzzzzzzzzzz');
    expect(unknown.status).toBe(404);
    expect(unknown.json.error).toMatchObject({ code: 'not_found' });
    for (const [who, param] of [[outsider, ref1], [reader2, ref1], [reader, ref2], [reader, 'R1'], [outsider, 'R1']] as const) {
      for (const res of [await getReadRoute(who, param), await put(who, param, { answers: {} }), await session(who, param)]) {
        expect({ param, status: res.status, json: res.json }).toEqual({ param, status: 404, json: unknown.json });
      }
    }
    expect(await h.snapshotTable()).toEqual(before);
  });

  test('a hidden repeat gets its own ref; no reader-facing response of either read names the case', async () => {
    const caseId = 'Hidden.Case-7';
    await seedCase(h, caseId);
    const firstRef = await assign(h, caseId, reader);
    const s1 = await put(reader, firstRef, { answers: validAnswers(), submit: true });
    expect(s1.status).toBe(201);
    // The repeat as bulk assignment creates it (coordinator port), weeks later.
    const created = await h.store.assign({
      caseId, readerId: reader.sub, readNo: 2, readsPerCase: 2, studyReadsPerCase: 2, maxOpenPerReader: 100, at: '2030-01-01T00:00:00.000Z', actor: 'coordinator',
    });
    expect(created).toBe('assigned');
    const q = await queue(reader, { status: 'pending' });
    const repeatRef = q.json.items.find((i: { ref: string }) => ![ref1, firstRef].includes(i.ref))?.ref;
    expect(repeatRef).toMatch(REF);
    expect(repeatRef).not.toBe(firstRef);

    const readRepeat = await getReadRoute(reader, repeatRef);
    expect(readRepeat.json).toMatchObject({ ref: repeatRef, version: 0, status: 'not_started', editable: true });
    const readFirst = await getReadRoute(reader, firstRef);
    expect(readFirst.json).toMatchObject({ ref: firstRef, version: 1, status: 'submitted' });
    const saved = await put(reader, repeatRef, { answers: validAnswers({ icdr: 'mild_npdr' }), submit: true });
    expect(saved.status).toBe(201);
    expect((await h.store.getRead(caseId, reader.sub, 2))!.answers).toEqual(validAnswers({ icdr: 'mild_npdr' }));
    expect((await h.store.getRead(caseId, reader.sub, 1))!.answers).toEqual(validAnswers());
    const all = await queue(reader);
    expect(all.json.items.map((i: { ref: string }) => i.ref)).toEqual(expect.arrayContaining([firstRef, repeatRef]));
    const responses = [s1, q, readRepeat, readFirst, saved, all, await next(reader), await session(reader, firstRef), await session(reader, repeatRef), await queue(reader, { limit: '1' })];
    for (const res of responses) {
      expect(res.status).toBeLessThan(300);
      const text = JSON.stringify({ body: res.json, headers: res.headers });
      expect(text).not.toContain(caseId);
      expect(text).not.toMatch(/readNo|repeat/);
    }
  });
});
