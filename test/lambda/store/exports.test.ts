/** Export jobs and stable reader pseudonyms in the emulated table. */
import { ConflictError } from '../../../lambda/runtime/errors';
import { auditEvent, type AuditAction } from '../../../lambda/store/audit';
import { readingStore } from '../../../lambda/store';
import { startHarness, type Harness } from '../../helpers/api-harness';
import { losingRace } from '../../helpers/reading-seed';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
}, 60_000);
afterAll(() => h?.stop(), 60_000); // moto can take seconds to exit after a heavy suite
beforeEach(() => h.clearTable());

const AT = '2026-03-01T00:00:00.000Z';

const LATER = '2026-03-01T00:20:00.000Z';
const audit = (action: AuditAction) => auditEvent({ at: AT, actor: 'coord', action, detail: { exportId: 'ex-1' } });
const files = [{ name: 'grades.csv', key: 'exports/ex-1/grades.csv', bytes: 10, contentType: 'text/csv' }];
const complete = { status: 'complete' as const, files, counts: { cases: 1, rows: 2, reads: 3 }, at: AT };

test('an export job is queued once, taken once while its lease lasts, and finished once by its taker', async () => {
  const job = { exportId: 'ex-1', requestedBy: 'coord', createdAt: AT, formats: ['csv' as const] };
  await h.store.createExportJob(job, audit('export_requested'));
  await expect(h.store.createExportJob(job, audit('export_requested'))).rejects.toBeInstanceOf(ConflictError);
  expect(await h.store.getExportJob('ex-1')).toEqual({ ...job, status: 'queued' });

  const lease = { at: AT, until: '2026-03-01T00:15:00.000Z' };
  expect(await h.store.takeExportJob('ex-1', lease)).toMatchObject({ status: 'running', attempts: 1, startedAt: AT, leaseUntil: lease.until });
  expect(await h.store.takeExportJob('ex-1', { at: '2026-03-01T00:14:59.000Z', until: LATER })).toBeUndefined();
  expect(await h.store.takeExportJob('missing', lease)).toBeUndefined();

  expect(await h.store.finishExportJob('ex-1', 2, complete, audit('export_completed'))).toBe(false);
  expect(await h.store.finishExportJob('ex-1', 1, complete, audit('export_completed'))).toBe(true);
  expect(await h.store.finishExportJob('ex-1', 1, { status: 'failed', error: 'Error', at: AT }, audit('export_failed'))).toBe(false);
  expect(await h.store.takeExportJob('ex-1', { at: LATER, until: LATER })).toBeUndefined();
  expect(await h.store.getExportJob('ex-1')).toEqual({ ...job, status: 'complete', startedAt: AT, attempts: 1, completedAt: AT, files, counts: complete.counts });
  // One audit line per write that happened: requested and completed, nothing for the refused ones.
  const actions = (await h.snapshotTable()).filter((i) => String(i.pk).startsWith('AUDIT#')).map((i) => i.action);
  expect(actions.sort()).toEqual(['export_completed', 'export_requested']);
});

test('a running job whose lease has passed is taken over, and the first taker can no longer finish it', async () => {
  await h.store.createExportJob({ exportId: 'ex-1', requestedBy: 'coord', createdAt: AT, formats: ['json'] }, audit('export_requested'));
  await h.store.takeExportJob('ex-1', { at: AT, until: '2026-03-01T00:15:00.000Z' });
  expect(await h.store.takeExportJob('ex-1', { at: LATER, until: '2026-03-01T00:35:00.000Z' })).toMatchObject({ attempts: 2, startedAt: LATER });
  expect(await h.store.finishExportJob('ex-1', 1, complete, audit('export_completed'))).toBe(false);
  expect(await h.store.finishExportJob('ex-1', 2, complete, audit('export_completed'))).toBe(true);
});

test('pseudonyms: R001… in order of first appearance, stable across exports', async () => {
  const first = await h.store.ensurePseudonyms(['sub-b', 'sub-a'], AT);
  expect([first.get('sub-b'), first.get('sub-a')]).toEqual(['R001', 'R002']);
  const later = await h.store.ensurePseudonyms(['sub-c', 'sub-a', 'sub-b'], AT);
  expect(Object.fromEntries(later)).toEqual({ 'sub-b': 'R001', 'sub-a': 'R002', 'sub-c': 'R003' });
});

test('pseudonyms: an export that loses the allocation race retries and never shares or skips a code', async () => {
  // Another export allocates codes between this one's read and its transaction (see losingRace).
  const ids = Array.from({ length: 6 }, (_, i) => `sub-${i}`);
  const racing = losingRace(h.ddb, () => h.store.ensurePseudonyms(['sub-4', 'other-1'], AT));
  const mine = await readingStore(racing, h.tableName).ensurePseudonyms(ids, AT);
  expect(racing.raced()).toBe(true);
  const all = await h.store.ensurePseudonyms([...ids, 'other-1'], AT);
  expect(Object.fromEntries(all)).toEqual({ 'sub-4': 'R001', 'other-1': 'R002', 'sub-0': 'R003', 'sub-1': 'R004', 'sub-2': 'R005', 'sub-3': 'R006', 'sub-5': 'R007' });
  for (const [id, code] of mine) expect(all.get(id)).toBe(code);
});
