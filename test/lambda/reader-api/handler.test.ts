/**
 * The reader API end to end against moto and the AppStream stand-in, through the real SDK clients,
 * with tokens from the emulated user pool verified as API Gateway's JWT authorizer would.
 */
import { handler } from '../../../lambda/reader-api/handler';
import { appStreamUserId } from '../../../lambda/shared/appstream-user';
import { getCase, getRead, readHistory } from '../../../lambda/shared/store';
import { getFinal } from '../../../lambda/shared/store/finals';
import { getTask } from '../../../lambda/shared/store/adjudications';
import { startHarness, type Harness, type TestUser } from '../../helpers/api-harness';
import { assign, seedCase, validAnswers } from '../../helpers/reading-fixtures';

let h: Harness;
let reader: TestUser;
let reader2: TestUser;
beforeAll(async () => {
  h = await startHarness();
  ({ reader, reader2 } = h.users);
}, 60_000);
afterAll(() => h?.stop());
beforeEach(() => h.clearTable());

const me = (u: TestUser) => h.call(handler, { routeKey: 'GET /me', token: u.token });
const next = (u: TestUser) => h.call(handler, { routeKey: 'POST /queue/next', token: u.token });
const queue = (u: TestUser, query: Record<string, string> = {}) => h.call(handler, { routeKey: 'GET /queue', token: u.token, query });
const session = (u: TestUser, caseId: string) => h.call(handler, { routeKey: 'POST /cases/{caseId}/session', pathParameters: { caseId }, token: u.token });
const getReadRoute = (u: TestUser, caseId: string) => h.call(handler, { routeKey: 'GET /cases/{caseId}/read', pathParameters: { caseId }, token: u.token });
const put = (u: TestUser, caseId: string, body: unknown, headers: Record<string, string> = {}) =>
  h.call(handler, { routeKey: 'PUT /cases/{caseId}/read', pathParameters: { caseId }, token: u.token, body, headers });

describe('GET /me', () => {
  test('a reader gets a profile with progress; other roles get theirs without', async () => {
    const r = await me(reader);
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ readerId: reader.sub, email: reader.email, roles: ['reader'], progress: { open: 0, submitted: 0 } });
    const a = await me(h.users.admin);
    expect(a.json).toEqual({ readerId: h.users.admin.sub, email: h.users.admin.email, roles: ['admin'] });
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
    expect(first.json.assignment).toEqual({ caseId: expect.stringMatching(/^C[12]$/), status: 'pending', assignedAt: expect.any(String), updatedAt: expect.any(String) });
    const again = await next(reader);
    expect(again.json).toMatchObject({ claimed: false, assignment: { caseId: first.json.assignment.caseId } });
    const c = await getCase(h.ddb, h.tableName, first.json.assignment.caseId);
    expect(c).toMatchObject({ assignedCount: 1, readers: [reader.sub] });
    expect((await me(reader)).json.progress).toEqual({ open: 1, submitted: 0 });
  });

  test('a case leaves the claimable index once k readers hold it; nobody gets it twice', async () => {
    await seedCase(h, 'C1');
    expect((await next(reader)).json.assignment.caseId).toBe('C1');
    expect((await next(reader2)).json.assignment.caseId).toBe('C1');
    const third = await h.createUser(`third-${Date.now()}`, ['reader']);
    expect((await next(third)).json.assignment).toBeNull();
    expect(await getCase(h.ddb, h.tableName, 'C1')).toMatchObject({ assignedCount: 2 });
  });

  test('paginates with an opaque cursor that only works for its owner', async () => {
    for (const id of ['Q1', 'Q2', 'Q3']) {
      await seedCase(h, id);
      await assign(h, id, reader);
    }
    const p1 = await queue(reader, { limit: '2' });
    expect(p1.status).toBe(200);
    expect(p1.json.items).toHaveLength(2);
    expect(p1.json.cursor).toEqual(expect.any(String));
    const p2 = await queue(reader, { limit: '2', cursor: p1.json.cursor });
    expect(p2.json.items.map((i: { caseId: string }) => i.caseId)).toEqual(['Q3']);
    expect(p2.json.cursor).toBeUndefined();
    const stolen = await queue(reader2, { cursor: p1.json.cursor });
    expect(stolen.status).toBe(400);
    expect(stolen.json.error).toMatchObject({ field: 'cursor', rule: 'invalid' });
    expect((await queue(reader, { cursor: 'not-a-cursor' })).status).toBe(400);
    expect((await queue(reader, { limit: '0' })).json.error).toMatchObject({ field: 'limit', rule: 'range' });
    expect((await queue(reader, { status: 'done' })).json.error).toMatchObject({ field: 'status', rule: 'enum' });
    const pending = await queue(reader, { status: 'pending' });
    expect(pending.json.items).toHaveLength(3);
  });

  test('a body on next is refused naming the field', async () => {
    const r = await h.call(handler, { routeKey: 'POST /queue/next', token: reader.token, body: { caseId: 'C1' } });
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({ field: 'caseId', rule: 'unknown' });
    expect((await h.call(handler, { routeKey: 'POST /queue/next', token: reader.token, body: {} })).status).toBe(200);
  });
});

describe('POST /cases/{caseId}/session', () => {
  test('issues a streaming URL for the assigned reader only, with an opaque context and a stable UserId', async () => {
    await seedCase(h, 'S1');
    expect((await session(reader, 'S1')).status).toBe(403);
    expect((await session(reader, 'NOPE')).status).toBe(403); // same answer whether the case exists or not
    await assign(h, 'S1', reader);
    const r = await session(reader, 'S1');
    expect(r.status).toBe(201);
    expect(r.json).toEqual({ streamingUrl: expect.stringContaining(h.appStream.endpoint), expiresAt: expect.any(String) });
    const issued = h.appStream.urls().at(-1)!;
    expect(issued.UserId).toBe(appStreamUserId(reader.sub));
    expect(issued.UserId).toMatch(/^[\w+=,.@-]{32}$/);
    expect(issued.SessionContext).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(issued.SessionContext).not.toContain('S1');
    expect(issued).toMatchObject({ StackName: h.stackName, FleetName: h.fleetName });
    const snapshot = await h.snapshotTable();
    expect(snapshot.find((i) => i.pk === `SESSION#${issued.SessionContext}`)).toMatchObject({ readerId: reader.sub, caseId: 'S1', appStreamUserId: issued.UserId });
    expect(snapshot.filter((i) => i.type === 'audit' && i.action === 'session_issued')).toHaveLength(1);
    // A second session: same UserId, new session id.
    await session(reader, 'S1');
    const [a, b] = h.appStream.urls().slice(-2);
    expect(b.UserId).toBe(a.UserId);
    expect(b.SessionContext).not.toBe(a.SessionContext);
  });
});

describe('GET/PUT /cases/{caseId}/read', () => {
  beforeEach(async () => {
    await seedCase(h, 'R1', { context: { bcvaOD: 0.8 } });
    await assign(h, 'R1', reader);
    await assign(h, 'R1', reader2);
  });

  test('before any save: version 0 with the case facts and context', async () => {
    const r = await getReadRoute(reader, 'R1');
    expect(r.status).toBe(200);
    expect(r.headers.etag).toBe('"0"');
    expect(r.json).toMatchObject({ caseId: 'R1', version: 0, status: 'not_started', editable: true, facts: { octPresent: false, eyes: ['OD', 'OS'] }, context: { bcvaOD: 0.8 } });
  });

  test('drafts: create, If-Match required afterwards, stale versions refused, every version in history', async () => {
    const draft = { answers: { eyes: { OD: { fundusQuality: 'good' } } } };
    const v1 = await put(reader, 'R1', draft);
    expect(v1.status).toBe(201);
    expect(v1.headers.etag).toBe('"1"');
    expect(v1.json).toMatchObject({ version: 1, status: 'draft' });
    const noMatch = await put(reader, 'R1', draft);
    expect(noMatch.status).toBe(428);
    expect(noMatch.json.error).toMatchObject({ field: 'If-Match', rule: 'required' });
    const stale = await put(reader, 'R1', draft, { 'If-Match': '"0"' });
    expect(stale.status).toBe(412);
    const v2 = await put(reader, 'R1', draft, { 'If-Match': '"1"' });
    expect(v2.status).toBe(200);
    expect(v2.json.version).toBe(2);
    expect((await put(reader, 'R1', draft, { 'If-Match': 'yesterday' })).json.error).toMatchObject({ field: 'If-Match', rule: 'format' });
    const hist = await readHistory(h.ddb, h.tableName, 'R1', reader.sub, 1);
    expect(hist.map((v) => [v.version, v.action])).toEqual([
      [1, 'save'],
      [2, 'save'],
    ]);
    expect((await queue(reader)).json.items[0].status).toBe('in_progress');
  });

  test('invalid answers: 400 naming the field and rule, store unchanged', async () => {
    const before = await h.snapshotTable();
    const r = await put(reader, 'R1', { answers: { eyes: { OD: { icdrLevel: 'very_bad' } } } });
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({ code: 'validation_failed', field: 'answers.eyes.OD.icdrLevel', rule: expect.any(String) });
    expect(await h.snapshotTable()).toEqual(before);
    const sub = await put(reader, 'R1', { answers: { eyes: { OD: { fundusQuality: 'good' } } }, submit: true });
    expect(sub.status).toBe(400);
    expect(sub.json.error.errors.some((e: { rule: string }) => e.rule === 'required')).toBe(true);
    expect((await put(reader, 'R1', { answers: {}, extra: 1 })).json.error).toMatchObject({ field: 'extra', rule: 'unknown' });
    expect((await put(reader, 'R1', { answers: {}, submit: 'yes' })).json.error).toMatchObject({ field: 'submit', rule: 'type' });
    expect((await put(reader, 'R1', '{not json')).json.error).toMatchObject({ field: 'body', rule: 'json' });
    expect(await h.snapshotTable()).toEqual(before);
  });

  test('submit, amend, then the second read completes the case as concordant', async () => {
    const s1 = await put(reader, 'R1', { answers: validAnswers(), submit: true });
    expect(s1.status).toBe(201);
    expect(s1.json).toMatchObject({ status: 'submitted', version: 1, editable: true });
    expect((await put(reader, 'R1', { answers: validAnswers() }, { 'If-Match': '1' })).json.error.code).toBe('already_submitted');
    const amended = await put(reader, 'R1', { answers: validAnswers({ vcdr: 0.35 }), submit: true }, { 'If-Match': '1' });
    expect(amended.status).toBe(200);
    expect(amended.json.version).toBe(2);
    expect((await me(reader)).json.progress).toEqual({ open: 0, submitted: 1 });

    const s2 = await put(reader2, 'R1', { answers: validAnswers(), submit: true });
    expect(s2.status).toBe(201);
    expect(s2.json.editable).toBe(false);
    expect(await getCase(h.ddb, h.tableName, 'R1')).toMatchObject({ state: 'final', submittedCount: 2 });
    const final = await getFinal(h.ddb, h.tableName, 'R1');
    expect(final).toMatchObject({ provenance: 'concordant', decidedBy: 'system' });
    expect(final!.value.eyes.OD!.vcdr).toBe(0.35); // the more severe of 0.3 / 0.35
    expect(await getTask(h.ddb, h.tableName, 'R1')).toBeUndefined();
    const locked = await put(reader, 'R1', { answers: validAnswers(), submit: true }, { 'If-Match': '2' });
    expect(locked.status).toBe(409);
    expect(locked.json.error.code).toBe('read_locked');
    const hist = await readHistory(h.ddb, h.tableName, 'R1', reader.sub, 1);
    expect(hist.map((v) => v.action)).toEqual(['submit', 'amend']);
  });

  test('discordant reads open an adjudication task and nothing reveals the other reader', async () => {
    await put(reader, 'R1', { answers: validAnswers({ icdr: 'none' }), submit: true });
    const r2 = await put(reader2, 'R1', { answers: validAnswers({ icdr: 'severe_npdr' }), submit: true });
    expect(r2.status).toBe(201);
    expect(await getCase(h.ddb, h.tableName, 'R1')).toMatchObject({ state: 'adjudication' });
    const task = await getTask(h.ddb, h.tableName, 'R1');
    expect(task).toMatchObject({ status: 'open', priority: 'normal' });
    expect(task!.reasons.some((x) => x.rule === 'D2' && x.question === 'icdrLevel')).toBe(true);
    expect(await getFinal(h.ddb, h.tableName, 'R1')).toBeUndefined();
    // Blinding: the second reader's answers are exactly their own, and no response names the first reader.
    for (const res of [r2, await getReadRoute(reader2, 'R1'), await queue(reader2), await me(reader2), await next(reader2)]) {
      expect(res.body).not.toContain(reader.sub);
      expect(res.body).not.toMatch(/readNo|repeat/);
      for (const id of res.body!.match(/"readerId":"[^"]*"/g) ?? []) expect(id).toBe(`"readerId":"${reader2.sub}"`);
    }
    expect((await getReadRoute(reader2, 'R1')).json.answers).toEqual(validAnswers({ icdr: 'severe_npdr' }));
    expect((await getReadRoute(reader, 'R1')).json.answers).toEqual(validAnswers({ icdr: 'none' }));
  });

  test('Idempotency-Key: a retry returns the first answer, a reused key for another body is refused', async () => {
    const body = { answers: validAnswers(), submit: true };
    const first = await put(reader, 'R1', body, { 'Idempotency-Key': 'k-1' });
    const retry = await put(reader, 'R1', body, { 'Idempotency-Key': 'k-1' });
    expect(retry.status).toBe(first.status);
    expect(retry.json).toEqual(first.json);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect((await getRead(h.ddb, h.tableName, 'R1', reader.sub, 1))!.version).toBe(1);
    const other = await put(reader, 'R1', { answers: validAnswers({ vcdr: 0.4 }), submit: true }, { 'Idempotency-Key': 'k-1', 'If-Match': '1' });
    expect(other.status).toBe(422);
    expect(other.json.error).toMatchObject({ field: 'Idempotency-Key', rule: 'reused' });
    expect((await put(reader, 'R1', body, { 'Idempotency-Key': 'bad key!' })).json.error).toMatchObject({ field: 'Idempotency-Key', rule: 'format' });
  });

  test('a reader not assigned to the case gets 403 on read and session', async () => {
    const outsider = await h.createUser(`outsider-${Date.now()}`, ['reader']);
    expect((await getReadRoute(outsider, 'R1')).status).toBe(403);
    expect((await put(outsider, 'R1', { answers: {} })).status).toBe(403);
    expect((await session(outsider, 'R1')).status).toBe(403);
  });
});
