/**
 * Concurrency against moto through the real handlers: many identical or competing writes at once
 * must leave exactly one current read with a gap-free history, and a burst of "claim next" must
 * never put a case past k or a reader twice on a case.
 */
import { handler } from '../../../lambda/reader-api/handler';
import { startHarness, type Harness, type TestUser } from '../../helpers/api-harness';
import { assign, seedCase, validAnswers } from '../../helpers/reading-fixtures';

let h: Harness;
let crowd: TestUser[];
beforeAll(async () => {
  h = await startHarness();
  // A hundred callers as tokens: claiming never asks the directory (see Harness.tokenReaders).
  crowd = h.tokenReaders(100, 'burst');
}, 120_000);
// moto can take up to its 5 s SIGKILL grace to exit after a burst (its finaliser, not our sockets).
afterAll(() => h?.stop(), 30_000);
beforeEach(() => h.clearTable());

/** `ref`: the assignment ref (the reader routes' `{caseId}` parameter). */
const put = (u: TestUser, ref: string, body: unknown, headers: Record<string, string>) =>
  h.call(handler, { routeKey: 'PUT /assignments/{ref}/read', pathParameters: { ref: ref }, token: u.token, body, headers });

test('50 identical submits with one Idempotency-Key: one read, one version, every caller gets the same answer', async () => {
  await seedCase(h, 'C1');
  const ref = await assign(h, 'C1', h.users.reader);
  const body = { answers: validAnswers(), submit: true };
  const results = await Promise.all(Array.from({ length: 50 }, () => put(h.users.reader, ref, body, { 'Idempotency-Key': 'same-key' })));
  expect(results.map((r) => r.status)).toEqual(Array(50).fill(201));
  for (const r of results) expect(r.json).toEqual(results[0].json);
  expect(await h.store.getRead('C1', h.users.reader.sub, 1)).toMatchObject({ version: 1, status: 'submitted' });
  expect((await h.store.readHistory('C1', h.users.reader.sub, 1)).map((v) => v.version)).toEqual([1]);
  expect(await h.store.getCase('C1')).toMatchObject({ submittedCount: 1 });
  const submitted = (await h.snapshotTable()).filter((i) => i.type === 'audit' && i.action === 'read_submitted');
  expect(submitted).toHaveLength(1);
}, 120_000);

test('50 submits with different keys and the same If-Match: exactly one wins, the rest get 412, history has no gaps', async () => {
  await seedCase(h, 'C1');
  const ref = await assign(h, 'C1', h.users.reader);
  expect((await put(h.users.reader, ref, { answers: { eyes: {} } }, {})).status).toBe(201);
  const results = await Promise.all(
    Array.from({ length: 50 }, (_, i) => put(h.users.reader, ref, { answers: validAnswers({ vcdr: 0.5 }), submit: true }, { 'If-Match': '"1"', 'Idempotency-Key': `k-${i}` })),
  );
  const statuses = results.map((r) => r.status).sort();
  expect(statuses.filter((s) => s === 200)).toHaveLength(1);
  expect(statuses.filter((s) => s === 412)).toHaveLength(49);
  expect(await h.store.getRead('C1', h.users.reader.sub, 1)).toMatchObject({ version: 2, status: 'submitted' });
  expect((await h.store.readHistory('C1', h.users.reader.sub, 1)).map((v) => v.version)).toEqual([1, 2]);
  expect(await h.store.getCase('C1')).toMatchObject({ submittedCount: 1 });
}, 120_000); // 50 writers against one moto: 3.4 s on a quiet machine, 16 s at about 15 % of the CPU

test('both readers submit the last reads at once: the case is decided exactly once', async () => {
  await seedCase(h, 'C1');
  const ref1 = await assign(h, 'C1', h.users.reader);
  const ref2 = await assign(h, 'C1', h.users.reader2);
  const [a, b] = await Promise.all([
    put(h.users.reader, ref1, { answers: validAnswers({ icdr: 'none' }), submit: true }, {}),
    put(h.users.reader2, ref2, { answers: validAnswers({ icdr: 'pdr' }), submit: true }, {}),
  ]);
  expect([a.status, b.status]).toEqual([201, 201]);
  const items = await h.snapshotTable();
  expect(items.find((i) => i.sk === 'META' && i.pk === 'CASE#C1')).toMatchObject({ state: 'adjudication', submittedCount: 2 });
  expect(items.filter((i) => i.type === 'adjudication')).toHaveLength(1);
  expect(items.filter((i) => i.type === 'audit' && i.action === 'adjudication_opened')).toHaveLength(1);
});

test('100 readers press "next" at once: no case past k, nobody twice on a case, everyone served while slots last', async () => {
  const k = h.readingConfig.assignment.readsPerCase;
  const cases = 40; // 80 slots for 100 readers: the last 20 must get "nothing waiting"
  for (let i = 0; i < cases; i++) await seedCase(h, `B${String(i).padStart(3, '0')}`);
  const results = await Promise.all(crowd.map((u) => h.call(handler, { routeKey: 'POST /queue/next', token: u.token })));
  expect(results.filter((r) => r.status !== 200).map((r) => r.json)).toEqual([]);
  const claimed = results.filter((r) => r.json.claimed);
  expect(claimed).toHaveLength(cases * k);
  expect(results.filter((r) => r.json.assignment === null)).toHaveLength(crowd.length - cases * k);

  const items = await h.snapshotTable();
  const assignments = items.filter((i) => i.type === 'assignment');
  expect(assignments).toHaveLength(cases * k);
  // Every claim got its own ref, each with its REF item, and the responses name no case.
  const refs = new Set(claimed.map((r) => r.json.assignment.ref));
  expect(refs.size).toBe(cases * k);
  expect(new Set(assignments.map((a) => a.ref))).toEqual(refs);
  expect(items.filter((i) => i.type === 'assignment_ref').map((i) => i.ref).sort()).toEqual([...refs].sort());
  expect(claimed.some((r) => /B0\d\d/.test(JSON.stringify(r.json.assignment)))).toBe(false);
  const perCase = new Map<string, string[]>();
  for (const a of assignments) perCase.set(a.caseId as string, [...(perCase.get(a.caseId as string) ?? []), a.readerId as string]);
  for (const [caseId, readerIds] of perCase) {
    expect({ caseId, n: readerIds.length, distinct: new Set(readerIds).size }).toEqual({ caseId, n: k, distinct: k });
  }
  for (const c of items.filter((i) => i.type === 'case')) {
    expect(c.assignedCount).toBe(k);
    expect(c.gsi2pk).toBeUndefined();
  }
  const readerCounts = items.filter((i) => String(i.pk).startsWith('READER#'));
  expect(readerCounts.every((r) => (r.openCount as number) <= 1)).toBe(true);
}, 120_000);
