/** Export jobs and stable reader pseudonyms in the emulated table. */
import { ConflictError } from '../../../lambda/shared/errors';
import { createExportJob, ensurePseudonyms, finishExportJob, getExportJob } from '../../../lambda/shared/store/exports';
import { startHarness, type Harness } from '../../helpers/api-harness';
import { losingRace } from '../../helpers/reading-seed';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
}, 60_000);
afterAll(() => h?.stop());
beforeEach(() => h.clearTable());

const AT = '2026-03-01T00:00:00.000Z';

test('an export job is created once and finished once', async () => {
  await createExportJob(h.ddb, h.tableName, { exportId: 'ex-1', requestedBy: 'coord', createdAt: AT });
  await expect(createExportJob(h.ddb, h.tableName, { exportId: 'ex-1', requestedBy: 'coord', createdAt: AT })).rejects.toBeInstanceOf(ConflictError);
  const files = [{ name: 'grades.csv', key: 'exports/ex-1/grades.csv', bytes: 10, contentType: 'text/csv' }];
  await finishExportJob(h.ddb, h.tableName, 'ex-1', { status: 'complete', files, counts: { cases: 1, rows: 2, reads: 3 }, at: AT });
  await expect(finishExportJob(h.ddb, h.tableName, 'ex-1', { status: 'failed', error: 'Error', at: AT })).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
  expect(await getExportJob(h.ddb, h.tableName, 'ex-1')).toEqual({ exportId: 'ex-1', requestedBy: 'coord', createdAt: AT, status: 'complete', completedAt: AT, files, counts: { cases: 1, rows: 2, reads: 3 } });
});

test('pseudonyms: R001… in order of first appearance, stable across exports', async () => {
  const first = await ensurePseudonyms(h.ddb, h.tableName, ['sub-b', 'sub-a'], AT);
  expect([first.get('sub-b'), first.get('sub-a')]).toEqual(['R001', 'R002']);
  const later = await ensurePseudonyms(h.ddb, h.tableName, ['sub-c', 'sub-a', 'sub-b'], AT);
  expect(Object.fromEntries(later)).toEqual({ 'sub-b': 'R001', 'sub-a': 'R002', 'sub-c': 'R003' });
});

test('pseudonyms: an export that loses the allocation race retries and never shares or skips a code', async () => {
  // Another export allocates codes between this one's read and its transaction (see losingRace).
  const ids = Array.from({ length: 6 }, (_, i) => `sub-${i}`);
  const racing = losingRace(h.ddb, () => ensurePseudonyms(h.ddb, h.tableName, ['sub-4', 'other-1'], AT));
  const mine = await ensurePseudonyms(racing, h.tableName, ids, AT);
  expect(racing.raced()).toBe(true);
  const all = await ensurePseudonyms(h.ddb, h.tableName, [...ids, 'other-1'], AT);
  expect(Object.fromEntries(all)).toEqual({ 'sub-4': 'R001', 'other-1': 'R002', 'sub-0': 'R003', 'sub-1': 'R004', 'sub-2': 'R005', 'sub-3': 'R006', 'sub-5': 'R007' });
  for (const [id, code] of mine) expect(all.get(id)).toBe(code);
});
