/** Final grades in the emulated table: a system final may be replaced by adjudication, an adjudicated one never. */
import { finalPut, SYSTEM_ACTOR, type FinalRecord } from '../../../lambda/store/finals';
import { TransactionCancelled, transact } from '../../../lambda/store/table';
import { startHarness, type Harness } from '../../helpers/api-harness';
import { grade } from '../../helpers/grades';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
}, 60_000);
afterAll(() => h?.stop(), 60_000); // moto can take seconds to exit after a heavy suite
beforeEach(() => h.clearTable());

const record = (over: Partial<FinalRecord>): FinalRecord => ({
  caseId: 'C1',
  provenance: 'concordant',
  value: grade(),
  formVersion: '1.0.0',
  decidedBy: SYSTEM_ACTOR,
  decidedAt: '2026-01-01T00:00:00.000Z',
  ...over,
});
const put = (r: FinalRecord) => transact(h.ddb, [{ label: 'final', item: finalPut(h.tableName, r) }]);

test('round-trips provenance and who/when/why', async () => {
  const r = record({ provenance: 'adjudicated', decidedBy: 'adj', reasonCode: 'read_a_correct', note: 'n', picks: [{ question: 'icdrLevel', eye: 'OD', source: 'A' }] });
  await put(r);
  expect(await h.store.getFinal('C1')).toEqual(r);
  expect(await h.store.getFinal('C2')).toBeUndefined();
});

test('an adjudicated final replaces a system one (senior QA) but is never overwritten', async () => {
  await put(record({ provenance: 'concordant' }));
  await put(record({ provenance: 'adjudicated', decidedBy: 'adj1', reasonCode: 'read_b_correct' }));
  await expect(put(record({ provenance: 'adjudicated', decidedBy: 'adj2', reasonCode: 'read_a_correct' }))).rejects.toBeInstanceOf(TransactionCancelled);
  await expect(put(record({ provenance: 'concordant' }))).rejects.toBeInstanceOf(TransactionCancelled);
  expect(await h.store.getFinal('C1')).toMatchObject({ provenance: 'adjudicated', decidedBy: 'adj1' });
});
