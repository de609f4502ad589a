/** Adjudication tasks in the emulated table: conditional opening, priority order, one resolution. */
import { ValidationError } from '../../../lambda/runtime/errors';
import { openTaskPut, resolveTaskUpdate, type OpenTaskInput } from '../../../lambda/store/adjudications';
import { TransactionCancelled, transact } from '../../../lambda/store/table';
import { startHarness, type Harness } from '../../helpers/api-harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
}, 60_000);
afterAll(() => h?.stop(), 60_000); // moto can take seconds to exit after a heavy suite
beforeEach(() => h.clearTable());

const task = (caseId: string, priority: OpenTaskInput['priority'], at: string): OpenTaskInput => ({
  caseId,
  priority,
  at,
  reasons: [{ rule: 'D2', question: 'icdrLevel', eye: 'OD', detail: 'read A "none", read B "pdr"' }],
  reads: [
    { label: 'A', readerId: 'r1', readNo: 1 },
    { label: 'B', readerId: 'r2', readNo: 1 },
  ],
  readerIds: [],
});
const open = (t: OpenTaskInput) => transact(h.ddb, [{ label: 'task', item: openTaskPut(h.tableName, t) }]);

test('lists open tasks safety first, then normal, then low, oldest first within each; pages with a cursor', async () => {
  await open(task('N-late', 'normal', '2026-01-03T00:00:00.000Z'));
  await open(task('L', 'low', '2026-01-01T00:00:00.000Z'));
  await open(task('S', 'safety', '2026-01-04T00:00:00.000Z'));
  await open(task('N-early', 'normal', '2026-01-02T00:00:00.000Z'));
  const p1 = await h.store.listTasks('open', { limit: 3 });
  const p2 = await h.store.listTasks('open', { limit: 3, cursor: p1.cursor });
  expect([...p1.items, ...p2.items].map((t) => t.caseId)).toEqual(['S', 'N-early', 'N-late', 'L']);
  expect(p2.cursor).toBeUndefined();
  await expect(h.store.listTasks('open', { limit: 3, cursor: 'bm90LWEtY3Vyc29y' })).rejects.toBeInstanceOf(ValidationError);
});

test('a retried trigger does not reset an open task; a resolved task resolves only once', async () => {
  await open(task('C1', 'normal', '2026-01-01T00:00:00.000Z'));
  await expect(open(task('C1', 'safety', '2026-01-09T00:00:00.000Z'))).rejects.toBeInstanceOf(TransactionCancelled);
  const t = (await h.store.getTask('C1'))!;
  expect(t).toMatchObject({ status: 'open', priority: 'normal', openedAt: '2026-01-01T00:00:00.000Z' });
  await transact(h.ddb, [{ label: 'task', item: resolveTaskUpdate(h.tableName, t, 'adj', 'read_a_correct', '2026-01-05T00:00:00.000Z') }]);
  const again = transact(h.ddb, [{ label: 'task', item: resolveTaskUpdate(h.tableName, t, 'adj2', 'read_b_correct', '2026-01-06T00:00:00.000Z') }]);
  await expect(again).rejects.toMatchObject({ reasons: new Map([['task', 'ConditionalCheckFailed']]) });
  expect(await h.store.getTask('C1')).toMatchObject({ status: 'resolved', resolvedBy: 'adj', reasonCode: 'read_a_correct' });
  expect((await h.store.listTasks('open', { limit: 10 })).items).toEqual([]);
  expect((await h.store.listTasks('resolved', { limit: 10 })).items.map((x) => x.caseId)).toEqual(['C1']);
});

test('the task keeps every holder of an assignment on the case, the compared pair included', async () => {
  await open({ ...task('K3', 'normal', '2026-01-01T00:00:00.000Z'), readerIds: ['r3', 'r1'] });
  expect((await h.store.getTask('K3'))!.readerIds.sort()).toEqual(['r1', 'r2', 'r3']);
  expect((await h.store.listTasks('open', { limit: 10 })).items[0].readerIds.sort()).toEqual(['r1', 'r2', 'r3']);
});

test('a task of a case read three times keeps every read by its label', async () => {
  await open({ ...task('K3', 'normal', '2026-01-01T00:00:00.000Z'), reads: [...task('K3', 'normal', '').reads, { label: 'C', readerId: 'r3', readNo: 1 }] });
  const t = (await h.store.getTask('K3'))!;
  expect(t.reads).toEqual({ A: { readerId: 'r1', readNo: 1 }, B: { readerId: 'r2', readNo: 1 }, C: { readerId: 'r3', readNo: 1 } });
  expect(t.readerIds.sort()).toEqual(['r1', 'r2', 'r3']);
});
