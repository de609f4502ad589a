/** The assignment-ref backfill for studies created before refs, against moto: complete, and a second run changes nothing. */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { REF_PATTERN } from '../../../lambda/store';
import { keys } from '../../../lambda/store/keys';
import { startHarness, type Harness } from '../../helpers/api-harness';
import { assign, seedCase } from '../../helpers/reading-fixtures';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
}, 60_000);
afterAll(() => h?.stop(), 60_000); // moto can take seconds to exit after a heavy suite
beforeEach(() => h.clearTable());

/** An assignment item exactly as the store wrote it before refs: no ref, queue key ending in the case id. */
async function legacyAssignment(caseId: string, readerId: string, readNo: number, status: string, at: string): Promise<void> {
  const record = { caseId, readerId, readNo, status, assignedAt: at, updatedAt: at, assignedBy: 'legacy', repeat: readNo > 1 };
  await h.ddb.send(
    new PutCommand({
      TableName: h.tableName,
      Item: { ...keys.assignment(caseId, readerId, readNo), gsi1pk: `QUEUE#${readerId}`, gsi1sk: `${status}#${at}#${caseId}`, type: 'assignment', ...record },
    }),
  );
}

test('gives every legacy assignment a ref, its REF item and a ref queue key; a second run changes nothing', async () => {
  await legacyAssignment('L1', 'r1', 1, 'submitted', '2025-01-01T00:00:00.000Z');
  await legacyAssignment('L1', 'r1', 2, 'pending', '2025-02-01T00:00:00.000Z');
  await legacyAssignment('L2', 'r2', 1, 'in_progress', '2025-01-02T00:00:00.000Z');
  await seedCase(h, 'N1');
  const existing = await assign(h, 'N1', { sub: 'r1', username: 'r1' });

  expect(await h.store.backfillRefs()).toEqual({ found: 3, updated: 3, skipped: 0 });
  const items = await h.snapshotTable();
  const assignments = items.filter((i) => i.type === 'assignment');
  expect(assignments).toHaveLength(4);
  for (const a of assignments) {
    expect(a.ref).toMatch(REF_PATTERN);
    expect(a.gsi1sk).toBe(`${a.status}#${a.assignedAt}#${a.ref}`);
    expect(await h.store.getAssignmentRef(a.ref as string)).toEqual({ ref: a.ref, readerId: a.readerId, caseId: a.caseId, readNo: a.readNo });
  }
  expect(assignments.find((a) => a.caseId === 'N1')!.ref).toBe(existing); // an assignment with a ref is left alone
  const l1 = assignments.filter((a) => a.caseId === 'L1');
  expect(l1[0].ref).not.toBe(l1[1].ref); // the repeat gets its own
  // The queue pages by the new keys (its cursor resolves through the REF items).
  const p1 = await h.store.queuePage('r1', { limit: 1 });
  const p2 = await h.store.queuePage('r1', { limit: 5, cursor: p1.cursor });
  expect([...p1.items, ...p2.items].map((a) => a.caseId).sort()).toEqual(['L1', 'L1', 'N1']);

  expect(await h.store.backfillRefs()).toEqual({ found: 0, updated: 0, skipped: 0 });
  expect(await h.snapshotTable()).toEqual(items);
});

test('a ref collision is retried with a new ref', async () => {
  await seedCase(h, 'N1');
  const taken = await assign(h, 'N1', { sub: 'r1', username: 'r1' });
  await legacyAssignment('L1', 'r2', 1, 'pending', '2025-01-01T00:00:00.000Z');
  const refs = [taken, 'fresh2345abc'];
  expect(await h.store.backfillRefs(() => refs.shift()!)).toEqual({ found: 1, updated: 1, skipped: 0 });
  expect(await h.store.getAssignmentRef('fresh2345abc')).toMatchObject({ caseId: 'L1', readerId: 'r2' });
  expect(await h.store.getAssignmentRef(taken)).toMatchObject({ caseId: 'N1', readerId: 'r1' });
});
