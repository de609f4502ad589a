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
import { viewToken } from '../../../lambda/case-files/core';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { FLEET_ENI_IP, startHarness, type Harness, type TestUser } from '../../helpers/api-harness';
import { assign, caseFiles, seedCase } from '../../helpers/reading-fixtures';
import { grade } from '../../helpers/grades';
import { seedReadCase } from '../../helpers/reading-seed';
import { utcDayClearOfMidnight } from '../../helpers/utc-day';

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

test('the streaming instance of the session gets presigned URLs for copies of exactly its case files', async () => {
  const sessionId = await issue(h.users.reader, refF1);
  const res = await files(sessionId);
  expect(res.status).toBe(200);
  // Labelled by the assignment ref and the reader's pseudonym; files by position, in copies made for this session.
  expect(res.json.ref).toBe(refF1);
  expect(res.json.reader).toMatch(/^R\d{3,}$/);
  expect(res.json).not.toHaveProperty('caseId');
  expect(JSON.stringify(res.json)).not.toContain('F1');
  expect(res.json.files.map((f: { name: string }) => f.name)).toEqual(['fundus-OD-1.jpg', 'fundus-OS-1.jpg', 'va-NA-1.json']);
  const view = `views/${viewToken(sessionId)}`;
  for (const [i, f] of res.json.files.entries()) {
    const url = new URL(f.url);
    expect(url.pathname).toBe(`/${h.bucketName}/${view}/${f.name}`);
    expect(Number(url.searchParams.get('X-Amz-Expires'))).toBeLessThanOrEqual(300);
    expect(await (await fetch(f.url)).text()).toBe(`F1:${caseFiles()[i].key}`); // the same bytes; moto does not check the signature
  }
  expect(Date.parse(res.json.expiresAt) - Date.now()).toBeLessThanOrEqual(300_000);
  expect(await sessionItem(sessionId)).toHaveProperty('viewAt');
  const audit = (await h.snapshotTable()).filter((i) => i.type === 'audit' && i.action === 'case_files_issued');
  expect(audit.at(-1)).toMatchObject({ actor: h.users.reader.sub, caseId: 'F1', sessionHash: sessionHash(sessionId), detail: { files: 3, purpose: 'read' } });
  expect(JSON.stringify(audit)).not.toContain('fundus/OD.jpg');
});

describe('blinding: what a hidden repeat\'s session is sent cannot be linked to the original read (issue 9, item 4)', () => {
  test('no case id, storage key, byte size or file name; no object, folder or metadata in common', async () => {
    await seedCase(h, 'K2024-000777');
    for (const f of caseFiles()) await h.s3.send(new PutObjectCommand({ Bucket: h.bucketName, Key: `cases/K2024-000777/${f.key}`, Body: `img:${f.key}`, Metadata: { 'original-name': `K2024-000777_${f.key.replace('/', '_')}` } }));
    const reader = await h.createUser(`rep-${Date.now()}`, ['reader']);
    const originalRef = await assign(h, 'K2024-000777', reader);
    expect(await h.store.assign({ caseId: 'K2024-000777', readerId: reader.sub, readNo: 2, readsPerCase: 2, studyReadsPerCase: 2, maxOpenPerReader: 100, at: new Date().toISOString(), actor: 'test' })).toBe('assigned');
    const repeatRef = (await h.store.getAssignment('K2024-000777', reader.sub, 2))!.ref!;

    const original = await files(await issue(reader, originalRef));
    const originalAgain = await files(await issue(reader, originalRef));
    const repeat = await files(await issue(reader, repeatRef));
    for (const res of [original, repeat]) {
      expect(res.status).toBe(200);
      const text = JSON.stringify(res.json);
      for (const leak of ['K2024-000777', 'cases/', 'fundus/OD.jpg', 'va.json', '"bytes"', '"key"']) expect(text).not.toContain(leak);
    }
    // The same shape (positional names, the same pseudonym), never the same object or folder.
    const shape = (r: typeof original) => r.json.files.map((f: { name: string; exam: string; eye: string | null }) => [f.name, f.exam, f.eye]);
    expect(shape(repeat)).toEqual(shape(original));
    // The watermark: the person's export pseudonym (allocated on their first session), never their name.
    expect(repeat.json.reader).toBe(original.json.reader);
    expect((await h.store.ensurePseudonyms([reader.sub], new Date().toISOString())).get(reader.sub)).toBe(original.json.reader);
    expect(JSON.stringify(original.json)).not.toContain(reader.username);
    const paths = (r: typeof original) => r.json.files.map((f: { url: string }) => new URL(f.url).pathname as string);
    const folder = (r: typeof original) => paths(r)[0].split('/').slice(0, -1).join('/');
    expect(new Set([folder(original), folder(originalAgain), folder(repeat)]).size).toBe(3);
    expect(paths(repeat).filter((p: string) => paths(original).includes(p))).toEqual([]);
    // What the instance gets when it fetches: the same image bytes, none of the source's metadata.
    for (const f of repeat.json.files) {
      const got = await fetch(f.url);
      expect(await got.text()).toMatch(/^img:/);
      expect([...got.headers.keys()].filter((k) => k.startsWith('x-amz-meta-'))).toEqual([]);
    }
  });
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
  // The refusals are audited under the day of their own time: no midnight (UTC) between them and this day.
  const day = await utcDayClearOfMidnight();
  const sessionId = await issue(h.users.reader, refF1);
  const guessed = randomBytes(16).toString('base64url');
  await files(sessionId, '10.0.99.99');
  await files(guessed);
  await files(undefined);
  const denied = (await h.snapshotTable()).filter((i) => i.pk === `AUDIT#${day}` && i.action === 'case_files_denied');
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
  // The day GET /audit is asked for: the one the events below are written on (no midnight in between).
  const day = await utcDayClearOfMidnight();
  try {
    sessionId = await issue(h.users.reader, refF1);
    expect((await files(sessionId)).status).toBe(200);
    expect((await files(sessionId, '10.0.99.99')).status).toBe(403);
    const audit = await h.call(coordinatorApi, { routeKey: 'GET /audit', query: { day, limit: '500' }, token: h.users.coordinator.token });
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
    expect(res.json.files.map((f: { url: string }) => new URL(f.url).pathname.replace(`/${h.bucketName}/cases/J1/`, '')).sort()).toEqual(caseFiles().map((f) => f.key).sort());
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
