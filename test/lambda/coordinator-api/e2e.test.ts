/**
 * The reading workflow end to end against moto, every step through its real handler: manifests
 * register cases → POST /assignments (k = 2) → two readers submit discordant reads → a task opens
 * → the adjudicator resolves it → POST /exports queues an export, whose worker writes the final
 * with its provenance and the agreement statistics.
 */
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { handler as adjudication } from '../../../lambda/adjudication-api/handler';
import { handler as coordinator } from '../../../lambda/coordinator-api/handler';
import { handler as readerApi } from '../../../lambda/reader-api/handler';
import { handler as registerCase } from '../../../lambda/register-case/handler';
import { startHarness, type Harness, type TestUser } from '../../helpers/api-harness';
import { runExportWorker } from '../../helpers/export-worker';
import { grade } from '../../helpers/grades';

jest.setTimeout(60_000);

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
}, 60_000);
afterAll(() => h?.stop(), 60_000); // moto can take seconds to exit after a heavy suite

const FILES = [
  { key: 'fundus/OD.jpg', exam: 'fundus', eye: 'OD' },
  { key: 'fundus/OS.jpg', exam: 'fundus', eye: 'OS' },
];

async function register(caseId: string, sequencer: string) {
  for (const f of FILES) await h.putObject(`cases/${caseId}/${f.key}`, 'jpeg');
  await h.putObject(`cases/${caseId}/manifest.json`, JSON.stringify({ caseId, files: FILES }));
  await registerCase(h.s3Event(`cases/${caseId}/manifest.json`, { sequencer }));
}

/** Submits the reader's first read of the case, addressed (as the portal does) by its assignment ref. */
const submit = async (u: TestUser, caseId: string, answers: unknown) => {
  const ref = (await h.store.getAssignment(caseId, u.sub, 1))!.ref;
  return h.call(readerApi, { routeKey: 'PUT /assignments/{ref}/read', pathParameters: { ref: ref }, token: u.token, headers: { 'Idempotency-Key': `e2e-${u.username}-${caseId}` }, body: { answers, submit: true } });
};

test('register → assign → discordant reads → adjudicate → export with provenance and statistics', async () => {
  const { reader, reader2, adjudicator, coordinator: coord } = h.users;
  await register('E2E-1', '00000000000000A1');
  await register('E2E-2', '00000000000000A2');
  // Readers exist in the directory once they have signed in.
  for (const u of [reader, reader2]) expect((await h.call(readerApi, { routeKey: 'GET /me', token: u.token })).status).toBe(200);

  const assigned = await h.call(coordinator, { routeKey: 'POST /assignments', token: coord.token, body: { readsPerCase: 2, hiddenRepeats: false } });
  expect(assigned.status).toBe(200);
  expect(assigned.json.assigned).toHaveLength(4);

  // E2E-1: discordant on DR (mild vs severe NPDR crosses the referable threshold); E2E-2: concordant.
  expect((await submit(reader, 'E2E-1', grade({ OD: { icdrLevel: 'mild_npdr' } }))).status).toBe(201);
  expect((await submit(reader2, 'E2E-1', grade({ OD: { icdrLevel: 'severe_npdr' } }))).status).toBe(201);
  expect((await submit(reader, 'E2E-2', grade())).status).toBe(201);
  expect((await submit(reader2, 'E2E-2', grade())).status).toBe(201);

  const queue = await h.call(adjudication, { routeKey: 'GET /adjudications', token: adjudicator.token });
  expect(queue.json.items.map((t: { caseId: string }) => t.caseId)).toEqual(['E2E-1']);
  const view = await h.call(adjudication, { routeKey: 'GET /adjudications/{caseId}', pathParameters: { caseId: 'E2E-1' }, token: adjudicator.token });
  expect(view.status).toBe(200);
  const severe = view.json.reads.A.eyes.OD.icdrLevel === 'severe_npdr' ? 'A' : 'B';
  const resolved = await h.call(adjudication, {
    routeKey: 'PUT /adjudications/{caseId}',
    pathParameters: { caseId: 'E2E-1' },
    token: adjudicator.token,
    headers: { 'Idempotency-Key': 'e2e-resolve-1' },
    body: { picks: { eyes: { OD: { icdrLevel: severe } } }, reasonCode: severe === 'A' ? 'read_a_correct' : 'read_b_correct' },
  });
  expect(resolved.status).toBe(200);

  const progress = await h.call(coordinator, { routeKey: 'GET /progress', token: coord.token });
  expect(progress.json.cases).toMatchObject({ open: 0, adjudication: 0, final: 2 });

  const exported = await h.call(coordinator, { routeKey: 'POST /exports', token: coord.token, body: { formats: ['csv', 'json'] } });
  expect(exported.status).toBe(202);
  // The table's stream starts the worker on the job's insert.
  expect((await runExportWorker(h, exported.json.exportId)).results[0].result).toBe('complete');
  const text = async (name: string) =>
    (await h.s3.send(new GetObjectCommand({ Bucket: h.bucketName, Key: `exports/${exported.json.exportId}/${name}` }))).Body!.transformToString();
  const grades = (await text('grades.csv')).split('\r\n');
  const header = grades[0].split(',');
  const row = (caseId: string, eye: string, q: string) => grades.find((l) => l.startsWith(`${caseId},final,${eye},${q},`))!.split(',');
  const e1 = row('E2E-1', 'OD', 'icdrLevel');
  expect(e1[header.indexOf('final_value')]).toBe('severe_npdr');
  expect(e1[header.indexOf('provenance')]).toBe('adjudicated');
  expect(e1[header.indexOf('decided_by')]).toMatch(/^R\d{3}$/);
  expect([e1[header.indexOf('read1_value')], e1[header.indexOf('read2_value')]].sort()).toEqual(['mild_npdr', 'severe_npdr']);
  expect(row('E2E-2', 'OD', 'icdrLevel')[header.indexOf('provenance')]).toBe('concordant');

  const agreement = (await text('agreement.csv')).split('\r\n').map((l) => l.split(','));
  const icdr = agreement.find((r) => r[0] === 'inter_reader' && r[2] === 'icdrLevel' && r[3] === 'all')!;
  expect(icdr.slice(4, 7)).toEqual(['4', '0', '0.75']); // n, skipped, percent exact: 3 of 4 eyes agree
  expect(agreement.some((r) => r[0] === 'reader_vs_final' && /^R\d{3}$/.test(r[1]) && r[2] === 'icdrLevel')).toBe(true);

  const doc = JSON.parse(await text('export.json'));
  expect(doc.cases.find((c: { caseId: string }) => c.caseId === 'E2E-1').final.provenance).toBe('adjudicated');
  for (const body of [grades.join('\n'), JSON.stringify(doc)]) for (const u of [reader, reader2, adjudicator]) expect(body).not.toContain(u.sub);
});
