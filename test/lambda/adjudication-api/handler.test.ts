/**
 * The adjudication routes end to end against moto through the real SDK clients, with tokens from
 * the emulated user pool: blinding, conflict of interest, resolution, idempotency, and a
 * fast-check property over PUT bodies (never a 5xx; a rejected write leaves the table unchanged).
 */
import fc from 'fast-check';
import { handler } from '../../../lambda/adjudication-api/handler';
import { startHarness, type Harness, type TestUser } from '../../helpers/api-harness';
import { grade } from '../../helpers/grades';
import { losingRace, seedReadCase } from '../../helpers/reading-seed';
import { resolveAdjudication } from '../../../lambda/adjudication-api/core';
import { keys } from '../../../lambda/store/keys';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { readingStore } from '../../../lambda/store';
import { adjudicationDeps } from '../../../lambda/adjudication-api/adapters';
import { nestedJson } from '../../helpers/hostile-json';

jest.setTimeout(120_000);

let h: Harness;
let conflicted: TestUser;
let second: TestUser;

// Discordant on OD icdrLevel (D2) and on OS glaucoma (D4).
const READ_1 = grade({ OD: { icdrLevel: 'mild_npdr' } });
const READ_2 = grade({ OD: { icdrLevel: 'severe_npdr' }, OS: { glaucomaLikelihood: 'suspect' } });

beforeAll(async () => {
  h = await startHarness();
  conflicted = await h.createUser('senior-who-reads', ['adjudicator', 'reader']);
  second = await h.createUser('second-adjudicator', ['adjudicator']);
}, 60_000);
afterAll(() => h?.stop(), 60_000); // moto can take seconds to exit after a heavy suite

beforeEach(async () => {
  await h.clearTable();
  await seedReadCase(h, 'C-1', [
    { readerId: h.users.reader.sub, answers: READ_1 },
    { readerId: h.users.reader2.sub, answers: READ_2 },
  ]);
  await seedReadCase(h, 'C-COI', [
    { readerId: conflicted.sub, answers: READ_1 },
    { readerId: h.users.reader2.sub, answers: READ_2 },
  ]);
});

const get = (token: string, caseId?: string, query?: Record<string, string>) =>
  h.call(handler, caseId ? { routeKey: 'GET /adjudications/{caseId}', pathParameters: { caseId }, token } : { routeKey: 'GET /adjudications', query, token });
const put = (token: string, caseId: string, body: unknown, headers: Record<string, string> = {}) =>
  h.call(handler, { routeKey: 'PUT /adjudications/{caseId}', pathParameters: { caseId }, body, headers, token });

const identities = () => [h.users.reader, h.users.reader2, conflicted].flatMap((u) => [u.sub, u.email, u.username]);

describe('blinding', () => {
  it('the queue and the side-by-side view carry no reader identity', async () => {
    const list = await get(h.users.adjudicator.token);
    expect(list.status).toBe(200);
    expect(list.json.items.map((t: { caseId: string }) => t.caseId).sort()).toEqual(['C-1', 'C-COI']);
    const detail = await get(h.users.adjudicator.token, 'C-1');
    expect(detail.status).toBe(200);
    expect(Object.keys(detail.json.reads).sort()).toEqual(['A', 'B']);
    expect([detail.json.reads.A.eyes.OD.icdrLevel, detail.json.reads.B.eyes.OD.icdrLevel].sort()).toEqual(['mild_npdr', 'severe_npdr']);
    expect(detail.json.reasons.map((r: { rule: string }) => r.rule)).toEqual(expect.arrayContaining(['D2', 'D4']));
    const d2 = detail.json.reasons.find((r: { rule: string }) => r.rule === 'D2');
    expect(d2.detail).toContain(`read A "${detail.json.reads.A.eyes.OD.icdrLevel}", read B "${detail.json.reads.B.eyes.OD.icdrLevel}"`);
    for (const body of [list.body!, detail.body!]) for (const id of identities()) expect(body).not.toContain(id);
  });

  it.each(['reader', 'reader2', 'coordinator'] as const)('%s cannot reach any adjudication route (403)', async (who) => {
    const token = h.users[who].token;
    expect((await get(token)).status).toBe(403);
    expect((await get(token, 'C-1')).status).toBe(403);
    expect((await put(token, 'C-1', { picks: {}, reasonCode: 'other', note: 'x' })).status).toBe(403);
  });

  it('an adjudicator who read the case does not see it listed and is refused it (conflict of interest)', async () => {
    const list = await get(conflicted.token);
    expect(list.json.items.map((t: { caseId: string }) => t.caseId)).toEqual(['C-1']);
    expect((await get(conflicted.token, 'C-COI')).status).toBe(403);
    const before = await h.snapshotTable();
    const res = await put(conflicted.token, 'C-COI', { picks: { eyes: { OD: { icdrLevel: 'A' }, OS: { glaucomaLikelihood: 'A' } } }, reasonCode: 'read_a_correct' });
    expect(res.status).toBe(403);
    expect(await h.snapshotTable()).toEqual(before);
  });

  it('a third reader of the case (k = 3), neither A nor B, is neither listed the task nor shown it; no one sees the readers', async () => {
    // The pair (reader, reader2) is discordant; conflicted's read agrees with reader's.
    await seedReadCase(h, 'C-K3', [
      { readerId: h.users.reader.sub, answers: READ_1 },
      { readerId: h.users.reader2.sub, answers: READ_2 },
      { readerId: conflicted.sub, answers: READ_1 },
    ]);
    const list = await get(conflicted.token);
    expect(list.json.items.map((t: { caseId: string }) => t.caseId)).toEqual(['C-1']);
    expect((await get(conflicted.token, 'C-K3')).status).toBe(403);
    // Everyone else still gets it, without any reader's identity (the task now stores all three).
    const others = await get(h.users.adjudicator.token);
    expect(others.json.items.map((t: { caseId: string }) => t.caseId).sort()).toEqual(['C-1', 'C-COI', 'C-K3']);
    const detail = await get(h.users.adjudicator.token, 'C-K3');
    expect(detail.status).toBe(200);
    for (const body of [others.body!, detail.body!]) {
      for (const id of [...identities(), 'readerId']) expect(body).not.toContain(id);
    }
  });
});

describe('conflict of interest beyond having read the case (issue 9, items 8 and 9)', () => {
  const setSite = (caseId: string, site: string) =>
    h.ddb.send(new UpdateCommand({ TableName: h.tableName, Key: keys.case(caseId), UpdateExpression: 'SET site = :s', ExpressionAttributeValues: { ':s': site } }));
  const body = { picks: { eyes: { OD: { icdrLevel: 'A' }, OS: { glaucomaLikelihood: 'A' } } }, reasonCode: 'read_a_correct' };
  const session = (u: TestUser, caseId: string) => h.call(handler, { routeKey: 'POST /adjudications/{caseId}/session', pathParameters: { caseId }, token: u.token });

  /** Every adjudication door of the case for `u`: listed?, detail, resolve, image session. */
  async function doors(u: TestUser, caseId: string) {
    const before = await h.snapshotTable();
    const list = await get(u.token);
    const result = {
      listed: list.status === 200 ? list.json.items.some((t: { caseId: string }) => t.caseId === caseId) : list.status,
      detail: (await get(u.token, caseId)).status,
      resolve: (await put(u.token, caseId, body)).status,
      session: (await session(u, caseId)).status,
    };
    expect(await h.snapshotTable()).toEqual(before);
    return result;
  }
  const REFUSED = { listed: false, detail: 403, resolve: 403, session: 403 };

  it("an adjudicator of the case's own site is neither listed the task nor let through any door", async () => {
    const snuh = await h.createUser(`snuh-adj-${Date.now()}`, ['adjudicator'], ' snuh');
    await setSite('C-1', 'SNUH');
    expect(await doors(snuh, 'C-1')).toEqual(REFUSED);
    expect((await get(snuh.token, 'C-1')).json.error).toMatchObject({ code: 'conflict_of_interest', message: expect.stringMatching(/your own site/) });
    // Another site's adjudicator still works on it.
    expect((await get(h.users.adjudicator.token, 'C-1')).status).toBe(200);
  });

  it("an adjudicator on the case's exclusion list (even one recorded after the task opened) is refused everywhere", async () => {
    const excluded = await h.createUser(`excl-adj-${Date.now()}`, ['adjudicator']);
    expect((await get(excluded.token, 'C-1')).status).toBe(200);
    await h.store.excludeReaders('C-1', [excluded.sub], new Date().toISOString());
    expect(await doors(excluded, 'C-1')).toEqual(REFUSED);
    expect((await get(excluded.token, 'C-1')).json.error.message).toMatch(/excluded/);
  });

  it.each([['coordinator'], ['admin']] as const)('an adjudicator who is also %s is refused adjudication altogether, told why', async (other) => {
    const dual = await h.createUser(`dual-${other}-${Date.now()}`, ['adjudicator', other]);
    const res = await get(dual.token);
    expect(res.status).toBe(403);
    expect(res.json.error).toMatchObject({ code: 'dual_role', message: expect.stringMatching(/coordinator or admin group/) });
    expect(await doors(dual, 'C-1')).toEqual({ listed: 403, detail: 403, resolve: 403, session: 403 });
  });

  it('an adjudicator without a valid site code is refused until an administrator sets it', async () => {
    const siteless = await h.createUser(`siteless-adj-${Date.now()}`, ['adjudicator'], null);
    const res = await get(siteless.token);
    expect([res.status, res.json.error.code]).toEqual([403, 'site_missing']);
    expect(await doors(siteless, 'C-1')).toEqual({ listed: 403, detail: 403, resolve: 403, session: 403 });
  });
});

describe('k = 3: every read counts', () => {
  it('the adjudicator sees all three reads masked A, B, C, can pick any of them', async () => {
    // reader and reader2 disagree on OD DR; the third read calls for an urgent referral.
    const third = grade({ OD: { icdrLevel: 'mild_npdr' }, participant: { referral: 'urgent' } });
    await seedReadCase(h, 'C-K3B', [
      { readerId: h.users.reader.sub, answers: READ_1 },
      { readerId: h.users.reader2.sub, answers: READ_2 },
      { readerId: conflicted.sub, answers: third },
    ]);
    const detail = await get(h.users.adjudicator.token, 'C-K3B');
    expect(detail.status).toBe(200);
    expect(Object.keys(detail.json.reads).sort()).toEqual(['A', 'B', 'C']);
    expect(detail.json.priority).toBe('safety');
    expect(detail.json.reasons.map((r: { rule: string }) => r.rule)).toEqual(expect.arrayContaining(['D2', 'D4', 'D5']));
    const urgent = (Object.entries(detail.json.reads) as [string, { participant: { referral: string } }][]).find(([, r]) => r.participant.referral === 'urgent')![0];
    for (const id of identities()) expect(detail.body).not.toContain(id);

    const res = await put(h.users.adjudicator.token, 'C-K3B', {
      picks: { eyes: { OD: { icdrLevel: urgent }, OS: { glaucomaLikelihood: { value: 'no' } } }, participant: { referral: urgent } },
      reasonCode: 'other',
      note: 'third read had it right',
    });
    expect(res.status).toBe(200);
    expect(res.json.final.value).toMatchObject({ eyes: { OD: { icdrLevel: 'mild_npdr' } }, participant: { referral: 'urgent' } });
    expect(res.json.final.picks).toEqual(expect.arrayContaining([{ question: 'referral', source: urgent }]));
  });
});

describe('resolution', () => {
  const body = { picks: { eyes: { OD: { icdrLevel: { value: 'moderate_npdr' } }, OS: { glaucomaLikelihood: 'B' } } }, reasonCode: 'both_partly_correct', note: 'MA and haemorrhages in 2 quadrants' };

  it('writes the adjudicated final with who/when/why, closes the task and the case, and audits it', async () => {
    const res = await put(h.users.adjudicator.token, 'C-1', body, { 'Idempotency-Key': 'resolve-c1-0001' });
    expect(res.status).toBe(200);
    expect(res.json.final).toMatchObject({ provenance: 'adjudicated', reasonCode: 'both_partly_correct' });
    const items = await h.snapshotTable();
    const bySk = (pk: string, sk: string) => items.find((i) => i.pk === pk && i.sk === sk) as Record<string, any>;
    const final = bySk('CASE#C-1', 'FINAL');
    expect(final).toMatchObject({ provenance: 'adjudicated', decidedBy: h.users.adjudicator.sub, reasonCode: 'both_partly_correct', note: body.note });
    expect(final.value.eyes.OD.icdrLevel).toBe('moderate_npdr');
    // 'B' is whichever read the task labelled B: reader2's says 'suspect', reader's says 'no'.
    const bIsReader2 = bySk('CASE#C-1', 'ADJUDICATION').reads.B.readerId === h.users.reader2.sub;
    expect(final.value.eyes.OS.glaucomaLikelihood).toBe(bIsReader2 ? 'suspect' : 'no');
    expect(bySk('CASE#C-1', 'ADJUDICATION')).toMatchObject({ status: 'resolved', gsi2pk: 'ADJ#resolved', resolvedBy: h.users.adjudicator.sub });
    expect(bySk('CASE#C-1', 'META')).toMatchObject({ state: 'final' });
    expect(items.some((i) => String(i.pk).startsWith('AUDIT#') && i.action === 'adjudication_resolved' && i.caseId === 'C-1')).toBe(true);

    // The open queue no longer lists it; the detail shows the final.
    expect((await get(second.token)).json.items.map((t: { caseId: string }) => t.caseId)).toEqual(['C-COI']);
    expect((await get(second.token, 'C-1')).json.final.provenance).toBe('adjudicated');
  });

  it('a retry with the same Idempotency-Key gets the same 200; another resolution gets 409 and changes nothing', async () => {
    const first = await put(h.users.adjudicator.token, 'C-1', body, { 'Idempotency-Key': 'resolve-c1-0002' });
    const snapshot = await h.snapshotTable();
    const retry = await put(h.users.adjudicator.token, 'C-1', body, { 'Idempotency-Key': 'resolve-c1-0002' });
    expect([retry.status, retry.json]).toEqual([200, first.json]);
    // One idempotency vocabulary with the reads: a replayed answer says so.
    expect([first.headers['idempotent-replayed'], retry.headers['idempotent-replayed']]).toEqual([undefined, 'true']);
    const again = await put(second.token, 'C-1', { ...body, reasonCode: 'read_a_correct' });
    expect([again.status, again.json.error.code]).toEqual([409, 'already_resolved']);
    expect(await h.snapshotTable()).toEqual(snapshot);
  });

  it('an adjudicator who loses the race to resolve gets 409 and the winner’s final stays', async () => {
    const detail = await get(h.users.adjudicator.token, 'C-1');
    expect(detail.status).toBe(200);
    const racing = losingRace(h.ddb, () => put(second.token, 'C-1', { ...body, reasonCode: 'read_a_correct' }));
    const deps = { ...adjudicationDeps(), store: readingStore(racing, h.tableName) };
    const lost = await resolveAdjudication(deps, { sub: h.users.adjudicator.sub }, 'C-1', body, undefined).catch((e) => e);
    expect(racing.raced()).toBe(true);
    expect([lost.status, lost.code]).toEqual([409, 'already_resolved']);
    const final = (await h.snapshotTable()).find((i) => i.pk === 'CASE#C-1' && i.sk === 'FINAL');
    expect(final).toMatchObject({ decidedBy: second.sub, reasonCode: 'read_a_correct' });
  });

  it.each([
    ['a malformed case id', 400, 'C 1', {}],
    ['an unknown case', 404, 'C-404', body],
    ['a discordant question left out', 400, 'C-1', { picks: { eyes: { OD: { icdrLevel: 'A' } } }, reasonCode: 'read_a_correct' }],
  ])('%s → %i', async (_name, status, caseId, b) => {
    const res = await put(h.users.adjudicator.token, caseId as string, b);
    expect(res.status).toBe(status);
    if (status === 400) expect(res.json.error.field).toBeDefined();
  });

  it('a foreign cursor is a 400 naming cursor, not a 500', async () => {
    const cursor = Buffer.from(JSON.stringify({ pk: 'READER#x', sk: 'PROFILE', gsi2pk: 'READERS', gsi2sk: 'x' })).toString('base64url');
    const res = await get(h.users.adjudicator.token, undefined, { cursor });
    expect([res.status, res.json.error.field]).toEqual([400, 'cursor']);
  });
});

describe('property: PUT /adjudications/{caseId} with 1,000 generated bodies', () => {
  it('answers only 2xx or 4xx, and a rejected write leaves the table unchanged', async () => {
    const value = fc.oneof(
      fc.constantFrom('none', 'mild_npdr', 'moderate_npdr', 'severe_npdr', 'pdr', 'good', 'ungradable', 'no', 'suspect', 0.3, 0.35, 1.5, true, 'unable'),
      fc.jsonValue({ maxDepth: 2 }),
    );
    const pick = fc.oneof(fc.constantFrom('A', 'B', 'C', ''), fc.record({ value }), fc.jsonValue({ maxDepth: 2 }));
    const question = fc.constantFrom('icdrLevel', 'glaucomaLikelihood', 'fundusQuality', 'vcdr', 'dme', 'referral', 'comment', 'iarmClass', '__proto__', 'x');
    const scope = fc.dictionary(question, pick, { maxKeys: 4 });
    const body = fc.oneof(
      { weight: 2, arbitrary: fc.record({ picks: fc.record({ eyes: fc.dictionary(fc.constantFrom('OD', 'OS', 'OU'), scope, { maxKeys: 2 }), participant: scope }, { requiredKeys: [] }), reasonCode: fc.constantFrom('read_a_correct', 'other', 'nope'), note: fc.string({ maxLength: 20 }) }, { requiredKeys: ['picks'] }) },
      { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
      { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
      { weight: 1, arbitrary: nestedJson },
    );
    // Ten requests per run, in parallel. When all ten were rejected, the serial proxy's record of
    // the run's calls (every AWS call goes through it) must hold no accepted state-changing call:
    // none of them wrote anything. (It replaced a table Scan per run, and is stronger: any
    // service, and a write a later one undid.)
    let successes = 0;
    let deep = 0; // rejections that needed the stored task (not just the body's shape)
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(body, fc.constantFrom('C-1', 'C-1', 'C-404', 'bad id!')), { minLength: 10, maxLength: 10 }), async (batch) => {
        const from = h.faults.count();
        const results = await Promise.all(batch.map(([b, caseId]) => put(h.users.adjudicator.token, caseId, typeof b === 'string' ? b : JSON.stringify(b))));
        for (const r of results) expect(r.status).toBeLessThan(500);
        for (const r of results) if (r.status === 404 || String(r.json?.error?.field ?? '').startsWith('picks.')) deep++;
        const ok = results.filter((r) => r.status < 400).length;
        successes += ok;
        if (ok === 0) expect(h.faults.changes(from)).toEqual([]);
      }),
      { numRuns: 100 },
    );
    expect(successes).toBeLessThanOrEqual(1);
    expect(deep).toBeGreaterThan(100);
  });
});
