/**
 * GET /fleet/case-files against moto and the AppStream stand-in: the session id must belong to the
 * user whose ACTIVE AppStream session streams from the caller's IP (DescribeSessions), else 403.
 */
import { randomBytes } from 'node:crypto';
import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { handler } from '../../../lambda/case-files/handler';
import { handler as readerApi } from '../../../lambda/reader-api/handler';
import { handler as adjudicationApi } from '../../../lambda/adjudication-api/handler';
import { handler as coordinatorApi } from '../../../lambda/coordinator-api/handler';
import { keys } from '../../../lambda/store/keys';
import { sessionHash } from '../../../lambda/store/sessions';
import { FLEET_ENI_IP, startHarness, type Harness, type TestUser } from '../../helpers/api-harness';
import { assign, caseFiles, seedCase } from '../../helpers/reading-fixtures';
import { grade } from '../../helpers/grades';
import { seedReadCase } from '../../helpers/reading-seed';

let h: Harness;
/** Assignment refs (what readers open sessions with): reader on F1, reader2 on F2. */
let refF1: string;
let refF2: string;
beforeAll(async () => {
  h = await startHarness();
  await seedCase(h, 'F1');
  await seedCase(h, 'F2');
  for (const f of caseFiles()) {
    await h.putObject(`cases/F1/${f.key}`, `F1:${f.key}`);
    await h.putObject(`cases/F2/${f.key}`, `F2:${f.key}`);
  }
  refF1 = await assign(h, 'F1', h.users.reader);
  refF2 = await assign(h, 'F2', h.users.reader2);
}, 60_000);
afterAll(() => h?.stop(), 60_000); // moto can take seconds to exit after a heavy suite

/**
 * Issues a session: a reader's through the reader API (`param`: their assignment ref), an
 * adjudicator's through the adjudication API (`param`: the case id); `open` starts the AppStream
 * session by opening the URL.
 */
async function issue(user: TestUser, param: string, open = true, as: 'read' | 'adjudication' = 'read'): Promise<string> {
  const res =
    as === 'read'
      ? await h.call(readerApi, { routeKey: 'POST /assignments/{ref}/session', pathParameters: { ref: param }, token: user.token })
      : await h.call(adjudicationApi, { routeKey: 'POST /adjudications/{caseId}/session', pathParameters: { caseId: param }, token: user.token });
  expect(res.status).toBe(201);
  if (open) expect((await fetch(res.json.streamingUrl)).status).toBe(200);
  return h.appStream.urls().at(-1)!.SessionContext!;
}
const files = (sessionId: string | undefined, sourceIp = FLEET_ENI_IP, headers?: Record<string, string>) =>
  h.callFleet(handler, { query: sessionId === undefined ? {} : { sessionId }, sourceIp, headers });
/** The session record of an id (stored under the id's hash). */
const sessionItem = async (sessionId: string) => (await h.snapshotTable()).find((i) => i.pk === `SESSION#${sessionHash(sessionId)}`);
const NOT_YOURS = { error: { code: 'forbidden', message: 'not your session' } };

test('the streaming instance of the session gets presigned URLs for exactly its case files', async () => {
  const sessionId = await issue(h.users.reader, refF1);
  const res = await files(sessionId);
  expect(res.status).toBe(200);
  // Labelled by the assignment ref; the case id is only inside the presigned URLs (see the README).
  expect(res.json.ref).toBe(refF1);
  expect(res.json).not.toHaveProperty('caseId');
  expect(JSON.stringify({ ...res.json, files: res.json.files.map((f: { url: string }) => ({ ...f, url: undefined })) })).not.toContain('F1');
  expect(res.json.files.map((f: { key: string }) => f.key).sort()).toEqual(caseFiles().map((f) => f.key).sort());
  for (const f of res.json.files) {
    const url = new URL(f.url);
    expect(url.pathname).toBe(`/${h.bucketName}/cases/F1/${f.key}`);
    expect(Number(url.searchParams.get('X-Amz-Expires'))).toBeLessThanOrEqual(300);
    expect(await (await fetch(f.url)).text()).toBe(`F1:${f.key}`); // moto does not check the signature; the key is right
  }
  expect(Date.parse(res.json.expiresAt) - Date.now()).toBeLessThanOrEqual(300_000);
  const audit = (await h.snapshotTable()).filter((i) => i.type === 'audit' && i.action === 'case_files_issued');
  expect(audit.at(-1)).toMatchObject({ actor: h.users.reader.sub, caseId: 'F1', sessionHash: sessionHash(sessionId), detail: { files: 3, purpose: 'read' } });
  expect(JSON.stringify(audit)).not.toContain('fundus/OD.jpg');
});

test('every mismatch is the same 403 "not your session"', async () => {
  const sessionId = await issue(h.users.reader, refF1);
  const cases: Array<[string, () => Promise<{ status: number; json: unknown }>]> = [
    ['a caller at another address', () => files(sessionId, '10.0.99.99')],
    ['a guessed session id', () => files(randomBytes(16).toString('base64url'))],
    ['an issued id whose reader never started streaming', async () => files(await issue(h.users.reader2, refF2, false))],
  ];
  for (const [name, attempt] of cases) {
    const res = await attempt();
    expect({ name, status: res.status, json: res.json }).toEqual({ name, status: 403, json: NOT_YOURS });
  }
});

test("a session id copied into an instance that streams to another reader gets nothing", async () => {
  // The stand-in gives every session of the fleet the same ENI address, so this is the case that
  // matters: the copier's instance (reader2, ACTIVE at that address) presents the id of a reader
  // who has no ACTIVE session; DescribeSessions for the id's user lists nothing there.
  const victim = await h.createUser(`victim-${Date.now()}`, ['reader']);
  const copied = await issue(victim, await assign(h, 'F1', victim), false);
  await issue(h.users.reader2, refF2);
  expect(h.appStream.sessions().some((s) => s.NetworkAccessConfiguration.EniPrivateIpAddress === FLEET_ENI_IP)).toBe(true);
  expect(await files(copied)).toMatchObject({ status: 403, json: NOT_YOURS });
});

test('an expired session or a withdrawn assignment gets nothing', async () => {
  const sessionId = await issue(h.users.reader, refF1);
  expect((await files(sessionId)).status).toBe(200);
  const item = (await sessionItem(sessionId))!;
  await h.ddb.send(new PutCommand({ TableName: h.tableName, Item: { ...item, expiresAt: new Date(Date.now() - 1000).toISOString() } }));
  expect((await files(sessionId)).json).toEqual(NOT_YOURS);
  await h.ddb.send(new PutCommand({ TableName: h.tableName, Item: item }));
  const assignment = (await h.snapshotTable()).find((i) => i.pk === 'CASE#F1' && String(i.sk).startsWith(`ASSIGN#${h.users.reader.sub}`))!;
  await h.ddb.send(new DeleteCommand({ TableName: h.tableName, Key: keys.assignment('F1', h.users.reader.sub, 1) }));
  expect((await files(sessionId)).json).toEqual(NOT_YOURS);
  await h.ddb.send(new PutCommand({ TableName: h.tableName, Item: assignment }));
});

describe('the caller is bound by its source address only (issue 9, item 6)', () => {
  test.each([
    ['a Forwarded header', { Forwarded: `for=${FLEET_ENI_IP}` }, 'forwarded_header'],
    ['an X-Forwarded-For chain ending in the source address', { 'X-Forwarded-For': `10.0.99.99, ${FLEET_ENI_IP}` }, 'forwarded_for_chain'],
    ['an X-Forwarded-For naming another address', { 'x-forwarded-for': '10.0.99.99' }, 'forwarded_for_mismatch'],
  ])('%s: 403, audited with its reason', async (_name, headers, reason) => {
    const sessionId = await issue(h.users.reader, refF1);
    const res = await files(sessionId, FLEET_ENI_IP, headers);
    expect({ status: res.status, json: res.json }).toEqual({ status: 403, json: NOT_YOURS });
    const denied = (await h.snapshotTable()).filter((i) => i.action === 'case_files_denied');
    expect(denied.at(-1)).toMatchObject({ actor: 'fleet', sessionHash: sessionHash(sessionId), detail: { reason, sourceIp: FLEET_ENI_IP } });
  });

  test("API Gateway's own record of the caller (X-Forwarded-For: the source address) is fine", async () => {
    const sessionId = await issue(h.users.reader, refF1);
    expect((await files(sessionId, FLEET_ENI_IP, { 'X-Forwarded-For': FLEET_ENI_IP })).status).toBe(200);
  });
});

test('every refusal is a durable case_files_denied event (reason, caller address, hashed session id)', async () => {
  const sessionId = await issue(h.users.reader, refF1);
  const guessed = randomBytes(16).toString('base64url');
  await files(sessionId, '10.0.99.99');
  await files(guessed);
  await files(undefined);
  const denied = (await h.snapshotTable()).filter((i) => i.pk === `AUDIT#${new Date().toISOString().slice(0, 10)}` && i.action === 'case_files_denied');
  expect(denied.map((d) => [(d.detail as { reason: string }).reason, (d.detail as { sourceIp?: string }).sourceIp, d.sessionHash])).toEqual(
    expect.arrayContaining([
      ['ip_mismatch', '10.0.99.99', sessionHash(sessionId)],
      ['unknown_session', FLEET_ENI_IP, sessionHash(guessed)],
      ['missing_session_id', FLEET_ENI_IP, undefined],
    ]),
  );
  expect(denied.find((d) => d.sessionHash === sessionHash(sessionId))).toMatchObject({ caseId: 'F1' });
});

test('the session id is a bearer secret: neither the table, GET /audit nor any log line holds it, only its hash', async () => {
  const lines: string[] = [];
  const spies = (['log', 'error', 'warn', 'info'] as const).map((m) => jest.spyOn(console, m).mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(' '))));
  let sessionId: string;
  let auditBody: string;
  try {
    sessionId = await issue(h.users.reader, refF1);
    expect((await files(sessionId)).status).toBe(200);
    expect((await files(sessionId, '10.0.99.99')).status).toBe(403);
    const audit = await h.call(coordinatorApi, { routeKey: 'GET /audit', query: { day: new Date().toISOString().slice(0, 10), limit: '500' }, token: h.users.coordinator.token });
    expect(audit.status).toBe(200);
    auditBody = audit.body!;
  } finally {
    for (const s of spies) s.mockRestore();
  }
  const hash = sessionHash(sessionId);
  expect(auditBody).toContain(hash);
  expect(JSON.parse(auditBody).items.filter((e: { sessionHash?: string }) => e.sessionHash === hash).map((e: { action: string }) => e.action).sort()).toEqual([
    'case_files_denied',
    'case_files_issued',
    'session_issued',
  ]);
  expect(auditBody).not.toContain(sessionId);
  expect(lines.some((l) => l.includes(hash))).toBe(true);
  expect(lines.join('\n')).not.toContain(sessionId);
  expect(JSON.stringify(await h.snapshotTable())).not.toContain(sessionId);
});

test('a missing or malformed session id is a 400 naming sessionId', async () => {
  expect((await files(undefined)).json.error).toMatchObject({ field: 'sessionId', rule: 'required' });
  expect((await files('../../etc')).json.error).toMatchObject({ field: 'sessionId', rule: 'format' });
});

describe('adjudicators view the case of an open task', () => {
  const discordant = (readers: [string, string]) =>
    [
      { readerId: readers[0], answers: grade({ OD: { icdrLevel: 'mild_npdr' } }) },
      { readerId: readers[1], answers: grade({ OD: { icdrLevel: 'severe_npdr' } }) },
    ] as [{ readerId: string; answers: ReturnType<typeof grade> }, { readerId: string; answers: ReturnType<typeof grade> }];
  const open = (user: TestUser, caseId: string) => h.call(adjudicationApi, { routeKey: 'POST /adjudications/{caseId}/session', pathParameters: { caseId }, token: user.token });
  const openRead = (user: TestUser, ref: string) => h.call(readerApi, { routeKey: 'POST /assignments/{ref}/session', pathParameters: { ref }, token: user.token });

  test('an adjudicator gets a session for an open task and the fleet serves its files', async () => {
    expect(await seedReadCase(h, 'J1', discordant(['jr-a', 'jr-b']))).toBe('adjudication');
    for (const f of caseFiles()) await h.putObject(`cases/J1/${f.key}`, `J1:${f.key}`);
    const sessionId = await issue(h.users.adjudicator, 'J1', true, 'adjudication');
    const item = await sessionItem(sessionId);
    expect(item).toMatchObject({ readerId: h.users.adjudicator.sub, caseId: 'J1', purpose: 'adjudication', readNo: 0 });
    const res = await files(sessionId);
    expect(res.status).toBe(200);
    expect(res.json.files.map((f: { key: string }) => f.key).sort()).toEqual(caseFiles().map((f) => f.key).sort());
    const audit = (await h.snapshotTable()).filter((i) => i.type === 'audit' && i.caseId === 'J1');
    expect(audit.map((a) => [a.action, (a.detail as { purpose?: string }).purpose])).toEqual(expect.arrayContaining([['session_issued', 'adjudication'], ['case_files_issued', 'adjudication']]));

    // Once the task is resolved the same session opens nothing.
    const task = (await h.snapshotTable()).find((i) => i.pk === 'CASE#J1' && i.sk === 'ADJUDICATION')!;
    await h.ddb.send(new PutCommand({ TableName: h.tableName, Item: { ...task, status: 'resolved' } }));
    expect(await files(sessionId)).toMatchObject({ status: 403, json: NOT_YOURS });
    expect((await open(h.users.adjudicator, 'J1')).status).toBe(404);
    await h.ddb.send(new PutCommand({ TableName: h.tableName, Item: task }));
  });

  test('no task is a 404, a case the adjudicator read is a 403, and readers still need an assignment', async () => {
    expect((await open(h.users.adjudicator, 'F2')).status).toBe(404); // F2 has no adjudication task
    expect(await seedReadCase(h, 'J2', discordant([h.users.adjudicator.sub, 'jr-c']))).toBe('adjudication');
    const conflict = await open(h.users.adjudicator, 'J2');
    expect(conflict.status).toBe(403);
    expect(conflict.json.error.message).toMatch(/conflict of interest/);
    expect((await openRead(h.users.reader2, 'J2')).status).toBe(404); // a reader without an assignment: a case id is no ref
    expect((await open(h.users.reader2, 'J2')).status).toBe(403); // and the adjudication door is not a reader's
    expect((await open(h.users.coordinator, 'J2')).status).toBe(403);
  });

  test('someone who is both reader and adjudicator: their ref opens their read (reader API), a case id their adjudication (adjudication API), never a case they read', async () => {
    const both = await h.createUser(`both-${Date.now()}`, ['reader', 'adjudicator']);
    await seedCase(h, 'B1');
    const ref = await assign(h, 'B1', both);
    const read = await issue(both, ref, false);
    expect(await sessionItem(read)).toMatchObject({ caseId: 'B1', purpose: 'read', readNo: 1 });

    expect(await seedReadCase(h, 'J3', discordant(['jr-d', 'jr-e']))).toBe('adjudication');
    const adjudication = await issue(both, 'J3', false, 'adjudication');
    expect(await sessionItem(adjudication)).toMatchObject({ caseId: 'J3', purpose: 'adjudication', readNo: 0 });

    expect(await seedReadCase(h, 'J4', discordant([both.sub, 'jr-f']))).toBe('adjudication');
    expect((await open(both, 'J4')).status).toBe(403);
  });
});
