/** Manifest registration against moto S3 + DynamoDB through the real SDK clients. */
import { handler } from '../../../lambda/register-case/handler';
import { normaliseSequencer } from '../../../lambda/register-case/core';
import { handler as coordinatorApi } from '../../../lambda/coordinator-api/handler';
import { keys } from '../../../lambda/store/keys';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { startHarness, type Harness } from '../../helpers/api-harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
}, 60_000);
afterAll(() => h?.stop(), 60_000); // moto can take seconds to exit after a heavy suite
beforeEach(() => h.clearTable());

let seq = 0x1000;
const nextSeq = () => (seq += 0x10).toString(16).toUpperCase();

async function upload(caseId: string, files: Record<string, string>, manifest: unknown) {
  for (const [k, body] of Object.entries(files)) await h.putObject(`cases/${caseId}/${k}`, body);
  await h.putObject(`cases/${caseId}/manifest.json`, typeof manifest === 'string' ? manifest : JSON.stringify(manifest));
}
const run = (key: string, sequencer = nextSeq()) => handler(h.s3Event(key, { sequencer }));
const rejections = async () => (await h.snapshotTable()).filter((i) => i.type === 'rejection');

const FILES = { 'fundus/OD.jpg': 'jpeg!', 'oct/OS.dcm': 'dcm', 'va.json': '{}' };
const MANIFEST = {
  caseId: 'K-001',
  files: [
    { key: 'fundus/OD.jpg', exam: 'fundus', eye: 'OD', bytes: 5 },
    { key: 'oct/OS.dcm', exam: 'oct', eye: 'OS' },
    { key: 'va.json', exam: 'va', eye: null },
  ],
  context: { bcvaOD: 0.8, ageBand5y: '60-64' },
};

test('registers a case from its manifest', async () => {
  await upload('K-001', FILES, MANIFEST);
  expect((await run('cases/K-001/manifest.json')).outcomes).toEqual([{ result: 'created', caseId: 'K-001' }]);
  expect(await h.store.getCase('K-001')).toMatchObject({
    caseId: 'K-001',
    state: 'open',
    assignedCount: 0,
    submittedCount: 0,
    octPresent: true,
    eyes: ['OD', 'OS'],
    exams: ['fundus', 'oct', 'va'],
    files: MANIFEST.files,
    context: MANIFEST.context,
  });
  const items = await h.snapshotTable();
  expect(items.find((i) => i.pk === 'CASE#K-001' && i.sk === 'META')).toMatchObject({ gsi1pk: 'CASES', gsi2pk: 'CLAIMABLE' });
  expect(items.filter((i) => i.type === 'audit' && i.action === 'case_registered')).toHaveLength(1);
});

test('the EventBridge delivery (what the stack wires) registers the same way; its key is not URL-encoded', async () => {
  await upload('K-001', FILES, MANIFEST);
  expect((await handler(h.objectCreatedEvent('cases/K-001/manifest.json', { sequencer: nextSeq() }))).outcomes).toEqual([{ result: 'created', caseId: 'K-001' }]);
  expect((await handler(h.objectCreatedEvent('cases/K-001/manifest.json', { bucket: 'elsewhere' }))).outcomes).toEqual([]);
});

test('a corrected manifest replaces the description of a case nobody has opened; late or repeated events change nothing', async () => {
  await upload('K-001', FILES, MANIFEST);
  const s1 = nextSeq();
  await run('cases/K-001/manifest.json', s1);
  const meta = (await h.snapshotTable()).find((i) => i.pk === 'CASE#K-001' && i.sk === 'META')!;
  await upload('K-001', FILES, { ...MANIFEST, context: { bcvaOD: 0.9 } });
  const s2 = nextSeq();
  expect((await run('cases/K-001/manifest.json', s2)).outcomes[0]).toMatchObject({ result: 'updated' });
  const after = (await h.snapshotTable()).find((i) => i.pk === 'CASE#K-001' && i.sk === 'META')!;
  expect(after).toMatchObject({ assignedCount: 0, submittedCount: 0, context: { bcvaOD: 0.9 }, registeredAt: meta.registeredAt, gsi2pk: 'CLAIMABLE' });

  const before = await h.snapshotTable();
  expect((await run('cases/K-001/manifest.json', s1)).outcomes[0]).toMatchObject({ result: 'stale' });
  // The applied upload delivered again (S3 delivers at least once).
  expect((await run('cases/K-001/manifest.json', s2)).outcomes[0]).toMatchObject({ result: 'redelivered' });
  expect(await h.snapshotTable()).toEqual(before);
});

describe('a case somebody has is not changed by a new manifest (issue 9, item 12)', () => {
  /** The case as the reading state would leave it: `patch` on its META item. */
  async function setState(patch: Record<string, unknown>) {
    const meta = (await h.snapshotTable()).find((i) => i.pk === 'CASE#K-001' && i.sk === 'META')!;
    await h.ddb.send(new PutCommand({ TableName: h.tableName, Item: { ...meta, ...patch } }));
  }

  test.each<[string, Record<string, unknown>]>([
    ['one first-read slot taken', { assignedCount: 1, readers: new Set(['r1']) }],
    ['a read submitted', { assignedCount: 2, submittedCount: 1, readers: new Set(['r1', 'r2']) }],
    ['an adjudication open', { assignedCount: 2, submittedCount: 2, state: 'adjudication', readers: new Set(['r1', 'r2']) }],
    ['a final', { assignedCount: 2, submittedCount: 2, state: 'final', readers: new Set(['r1', 'r2']) }],
  ])('with %s: refused as a rejection listed in /progress with the reason; the case keeps its files, site and context', async (_name, patch) => {
    await upload('K-001', FILES, { ...MANIFEST, site: 'SNUH' });
    await run('cases/K-001/manifest.json');
    await setState(patch);
    const before = await h.store.getCase('K-001');

    await upload('K-001', { 'in-use/OS.jpg': 'other' }, { ...MANIFEST, files: [...MANIFEST.files, { key: 'in-use/OS.jpg', exam: 'fundus', eye: 'OS' }], site: 'KNUH' });
    const { outcomes } = await run('cases/K-001/manifest.json');
    expect(outcomes[0]).toMatchObject({ result: 'rejected', reasons: [{ field: 'manifest', rule: 'case_in_use', message: expect.stringMatching(/already has readers/) }] });
    expect(await h.store.getCase('K-001')).toEqual(before);
    const progress = await h.call(coordinatorApi, { routeKey: 'GET /progress', token: h.users.coordinator.token });
    expect(progress.json.rejections).toEqual([expect.objectContaining({ caseId: 'K-001', reasons: [expect.objectContaining({ rule: 'case_in_use' })] })]);
    expect((await h.snapshotTable()).filter((i) => i.action === 'manifest_rejected')).toHaveLength(1);
  });

  test('re-uploading the registered manifest is no change: accepted as unchanged, and it clears the refusal from /progress', async () => {
    await upload('K-001', FILES, MANIFEST);
    await run('cases/K-001/manifest.json');
    await setState({ assignedCount: 1, readers: new Set(['r1']) });
    await upload('K-001', FILES, { ...MANIFEST, context: { bcvaOD: 0.1 } });
    const refused = nextSeq();
    expect((await run('cases/K-001/manifest.json', refused)).outcomes[0].result).toBe('rejected');
    // Same description, keys in another order: no change.
    await upload('K-001', FILES, { context: { ageBand5y: '60-64', bcvaOD: 0.8 }, files: MANIFEST.files, caseId: 'K-001' });
    expect((await run('cases/K-001/manifest.json')).outcomes[0]).toEqual({ result: 'unchanged', caseId: 'K-001' });
    const progress = await h.call(coordinatorApi, { routeKey: 'GET /progress', token: h.users.coordinator.token });
    expect(progress.json.rejections).toEqual([]);
    // The refused upload delivered again later is stale, not a second refusal.
    await upload('K-001', FILES, { ...MANIFEST, context: { bcvaOD: 0.1 } });
    expect((await run('cases/K-001/manifest.json', refused)).outcomes[0].result).toBe('stale');
  });
});

test.each([
  ['a named file is missing', { ...MANIFEST, files: [...MANIFEST.files, { key: 'fundus/OS.jpg', exam: 'fundus', eye: 'OS' }] }, { field: 'files.3.key', rule: 'missing' }],
  ['a size differs', { ...MANIFEST, files: [{ ...MANIFEST.files[0], bytes: 6 }] }, { field: 'files.0.bytes', rule: 'size' }],
  ['an unknown exam', { ...MANIFEST, files: [{ ...MANIFEST.files[0], exam: 'xray' }] }, { field: 'files.0.exam', rule: 'invalid_value' }],
  ['a path escaping the case folder', { ...MANIFEST, files: [{ ...MANIFEST.files[0], key: '../K-002/x.jpg' }] }, { field: 'files.0.key', rule: 'custom' }],
  ['the caseId differs from the folder', { ...MANIFEST, caseId: 'K-002' }, { field: 'caseId', rule: 'matches_folder' }],
  ['no files', { ...MANIFEST, files: [] }, { field: 'files', rule: 'too_small' }],
  ['an unknown field', { ...MANIFEST, patientName: 'x' }, { field: 'manifest', rule: 'unrecognized_keys' }],
  ['invalid JSON', '{"caseId":', { field: 'manifest', rule: 'json' }],
])('rejects a manifest when %s, with the reason stored and no case', async (_name, manifest, reason) => {
  await upload('K-001', FILES, manifest);
  const { outcomes } = await run('cases/K-001/manifest.json');
  expect(outcomes[0]).toMatchObject({ result: 'rejected', caseId: 'K-001' });
  expect(await h.store.getCase('K-001')).toBeUndefined();
  const [rejection] = await rejections();
  expect(rejection).toMatchObject({ caseId: 'K-001', manifestKey: 'cases/K-001/manifest.json', gsi1pk: 'REJECTIONS' });
  expect(rejection.reasons).toEqual(expect.arrayContaining([expect.objectContaining(reason)]));
  expect((await h.snapshotTable()).filter((i) => i.type === 'audit' && i.action === 'manifest_rejected')).toHaveLength(1);
});

describe('a rejected upload delivered again (S3 and SQS deliver at least once; a retry after a timeout) is recorded once', () => {
  const BAD = { ...MANIFEST, files: [{ key: 'gone.jpg', exam: 'fundus', eye: 'OD' }] };
  const rejectedAudits = async () => (await h.snapshotTable()).filter((i) => i.type === 'audit' && i.action === 'manifest_rejected');

  test.each([
    ['as a bucket notification', (seq: string) => h.s3Event('cases/K-001/manifest.json', { sequencer: seq })],
    ['as EventBridge delivers it', (seq: string) => h.objectCreatedEvent('cases/K-001/manifest.json', { sequencer: seq })],
  ])('%s: one rejection and one audit event; the second delivery succeeds quietly and writes nothing', async (_name, event) => {
    await upload('K-001', {}, BAD);
    const s1 = nextSeq();
    expect((await handler(event(s1))).outcomes).toEqual([expect.objectContaining({ result: 'rejected', caseId: 'K-001' })]);
    const before = await h.snapshotTable();
    const again = await handler(event(s1));
    expect(await rejections()).toEqual([expect.objectContaining({ caseId: 'K-001', manifestKey: 'cases/K-001/manifest.json', reasons: [expect.objectContaining({ rule: 'missing' })] })]);
    expect(await rejectedAudits()).toHaveLength(1);
    expect(await h.snapshotTable()).toEqual(before);
    expect(again.outcomes).toEqual([{ result: 'redelivered', caseId: 'K-001' }]);
    expect((await h.store.listRejections({ limit: 10 })).items.map((r) => r.caseId)).toEqual(['K-001']);
  });

  test('a new upload of the key that is rejected too is a second rejection; each is recorded once however often it arrives', async () => {
    await upload('K-001', {}, BAD);
    const s1 = nextSeq();
    await run('cases/K-001/manifest.json', s1);
    await upload('K-001', {}, 'not json');
    const s2 = nextSeq();
    expect((await run('cases/K-001/manifest.json', s2)).outcomes[0]).toMatchObject({ result: 'rejected', reasons: [{ rule: 'json' }] });
    expect((await run('cases/K-001/manifest.json', s2)).outcomes[0]).toEqual({ result: 'redelivered', caseId: 'K-001' });
    expect((await run('cases/K-001/manifest.json', s1)).outcomes[0]).toEqual({ result: 'redelivered', caseId: 'K-001' });
    const byUpload = (await rejections()).map((r) => [r.sequencer, (r.reasons as Array<{ rule: string }>).map((x) => x.rule)]);
    expect(byUpload).toHaveLength(2);
    expect(Object.fromEntries(byUpload)).toEqual({ [normaliseSequencer(s1)]: ['missing'], [normaliseSequencer(s2)]: ['json'] });
    expect(await rejectedAudits()).toHaveLength(2);
  });

  test('a refusal of a case in use (case_in_use) delivered again is recorded once', async () => {
    await upload('K-001', FILES, MANIFEST);
    await run('cases/K-001/manifest.json');
    const meta = (await h.snapshotTable()).find((i) => i.pk === 'CASE#K-001' && i.sk === 'META')!;
    await h.ddb.send(new PutCommand({ TableName: h.tableName, Item: { ...meta, assignedCount: 1, readers: new Set(['r1']) } }));
    await upload('K-001', FILES, { ...MANIFEST, context: { bcvaOD: 0.1 } });
    const refused = nextSeq();
    expect((await run('cases/K-001/manifest.json', refused)).outcomes[0]).toMatchObject({ result: 'rejected', reasons: [{ rule: 'case_in_use' }] });
    const again = await run('cases/K-001/manifest.json', refused);
    expect(await rejections()).toHaveLength(1);
    expect(await rejectedAudits()).toHaveLength(1);
    expect(again.outcomes[0]).toEqual({ result: 'redelivered', caseId: 'K-001' });
  });

  test('after the fix registers, the accepted upload and the old rejected one delivered again change nothing: one case event, the rejection stays resolved', async () => {
    await upload('K-001', {}, BAD);
    const bad = nextSeq();
    await run('cases/K-001/manifest.json', bad);
    await upload('K-001', FILES, MANIFEST);
    const good = nextSeq();
    expect((await run('cases/K-001/manifest.json', good)).outcomes[0]).toEqual({ result: 'created', caseId: 'K-001' });
    const before = await h.snapshotTable();
    // The accepted upload again: as before this change, `redelivered` with nothing written.
    expect((await run('cases/K-001/manifest.json', good)).outcomes[0]).toEqual({ result: 'redelivered', caseId: 'K-001' });
    expect(await h.snapshotTable()).toEqual(before);
    // The rejected upload again, late (it reads today's, valid, manifest): an older upload, stale.
    expect((await run('cases/K-001/manifest.json', bad)).outcomes[0]).toEqual({ result: 'stale', caseId: 'K-001' });
    expect(await h.snapshotTable()).toEqual(before);
    expect(await rejections()).toEqual([expect.objectContaining({ caseId: 'K-001', resolvedAt: expect.any(String) })]);
    expect((await h.snapshotTable()).filter((i) => i.action === 'case_registered')).toHaveLength(1);
    expect((await h.store.listRejections({ limit: 10 })).items).toEqual([]);
  });
});

test('a rejected re-upload leaves the registered case as it was', async () => {
  await upload('K-001', FILES, MANIFEST);
  await run('cases/K-001/manifest.json');
  const before = await h.store.getCase('K-001');
  await upload('K-001', {}, { ...MANIFEST, files: [{ key: 'gone.jpg', exam: 'fundus', eye: 'OD' }] });
  expect((await run('cases/K-001/manifest.json')).outcomes[0].result).toBe('rejected');
  expect(await h.store.getCase('K-001')).toEqual(before);
});

test('a fixed manifest takes its case off the rejection list (the rejection stays as history); a later bad upload is listed again', async () => {
  const listed = async () => (await h.store.listRejections({ limit: 10 })).items.map((r) => r.caseId);
  await h.putObject('cases/K-002/manifest.json', 'nope');
  await run('cases/K-002/manifest.json');
  await upload('K-001', {}, { ...MANIFEST, files: [{ key: 'gone.jpg', exam: 'fundus', eye: 'OD' }] });
  await run('cases/K-001/manifest.json');
  expect((await listed()).sort()).toEqual(['K-001', 'K-002']);

  await upload('K-001', FILES, MANIFEST);
  expect((await run('cases/K-001/manifest.json')).outcomes[0].result).toBe('created');
  expect(await listed()).toEqual(['K-002']);
  const history = (await rejections()).filter((r) => r.caseId === 'K-001');
  expect(history).toHaveLength(1);
  expect(history[0]).toMatchObject({ reasons: [expect.objectContaining({ rule: 'missing' })], resolvedAt: expect.any(String) });
  expect(history[0]).not.toHaveProperty('gsi1pk');
  // The registration's audit event is written with the case (one transaction); which rejections it
  // resolved is on each of them (resolvedAt, above).
  expect((await h.snapshotTable()).filter((i) => i.type === 'audit' && i.action === 'case_registered').at(-1)).toMatchObject({ caseId: 'K-001', detail: { result: 'created' } });

  await upload('K-001', {}, { ...MANIFEST, files: [{ key: 'gone.jpg', exam: 'fundus', eye: 'OD' }] });
  await run('cases/K-001/manifest.json');
  expect((await listed()).sort()).toEqual(['K-001', 'K-002']);
});

test('a registration from an older upload (smaller sequencer, delivered late) leaves a newer upload\'s rejection listed', async () => {
  const listed = async () => (await h.store.listRejections({ limit: 10 })).items.map((r) => r.caseId);
  const older = nextSeq();
  const newer = nextSeq();
  await upload('K-001', {}, { ...MANIFEST, files: [{ key: 'gone.jpg', exam: 'fundus', eye: 'OD' }] });
  expect((await run('cases/K-001/manifest.json', newer)).outcomes[0].result).toBe('rejected');
  await upload('K-001', FILES, MANIFEST);
  expect((await run('cases/K-001/manifest.json', older)).outcomes[0].result).toBe('created');
  expect(await listed()).toEqual(['K-001']);
  expect((await run('cases/K-001/manifest.json')).outcomes[0].result).toBe('updated');
  expect(await listed()).toEqual([]);
});

test('OCT facts: per eye when every OCT file names its eye; case-wide when one does not', async () => {
  await upload('K-001', FILES, MANIFEST);
  await run('cases/K-001/manifest.json');
  expect(await h.store.getCase('K-001')).toMatchObject({ octPresent: true, octEyes: ['OS'] });
  const unknownSide = { ...MANIFEST, files: [...MANIFEST.files.filter((f) => f.exam !== 'oct'), { key: 'oct/OS.dcm', exam: 'oct', eye: null }] };
  await upload('K-001', FILES, unknownSide);
  expect((await run('cases/K-001/manifest.json')).outcomes[0].result).toBe('updated');
  const c = await h.store.getCase('K-001');
  expect(c).toMatchObject({ octPresent: true });
  expect(c).not.toHaveProperty('octEyes');
});

test("the manifest's site is stored for the same-site rule, and removed when a later manifest drops it; a bad site is a reason", async () => {
  await upload('K-001', FILES, { ...MANIFEST, site: 'SNUH' });
  await run('cases/K-001/manifest.json');
  expect(await h.store.getCase('K-001')).toMatchObject({ site: 'SNUH' });
  await upload('K-001', FILES, MANIFEST);
  expect((await run('cases/K-001/manifest.json')).outcomes[0].result).toBe('updated');
  expect(await h.store.getCase('K-001')).not.toHaveProperty('site');
  await upload('K-002', FILES, { ...MANIFEST, caseId: 'K-002', site: 'no spaces' });
  expect((await run('cases/K-002/manifest.json')).outcomes[0]).toMatchObject({ result: 'rejected', reasons: [{ field: 'site', rule: 'custom' }] });
});

test("the manifest's site is normalised as readers' codes are: ' snuh ' is stored as SNUH; a non-ASCII code is a reason", async () => {
  await upload('K-003', FILES, { ...MANIFEST, caseId: 'K-003', site: ' snuh ' });
  await run('cases/K-003/manifest.json');
  expect(await h.store.getCase('K-003')).toMatchObject({ site: 'SNUH' });
  await upload('K-004', FILES, { ...MANIFEST, caseId: 'K-004', site: 'séoul' });
  expect((await run('cases/K-004/manifest.json')).outcomes[0]).toMatchObject({ result: 'rejected', reasons: [{ field: 'site', message: expect.stringMatching(/site code/) }] });
});

test('a folder name that is not a case id is rejected under that name', async () => {
  await h.putObject('cases/bad id!/manifest.json', JSON.stringify(MANIFEST));
  const { outcomes } = await run('cases/bad id!/manifest.json');
  expect(outcomes[0]).toMatchObject({ result: 'rejected', caseId: 'bad id!', reasons: [{ field: 'key', rule: 'case_id' }] });
});

test('a manifest over 1 MiB is rejected without being parsed', async () => {
  await h.putObject('cases/K-001/manifest.json', ' '.repeat(1024 * 1024 + 1));
  expect((await run('cases/K-001/manifest.json')).outcomes[0]).toMatchObject({ result: 'rejected', reasons: [{ rule: 'max_size' }] });
});

test('other keys, other buckets and deleted manifests are ignored without writes', async () => {
  await h.putObject('cases/K-001/fundus/OD.jpg', 'x');
  expect((await run('cases/K-001/fundus/OD.jpg')).outcomes).toEqual([{ result: 'ignored', why: 'not_a_manifest' }]);
  expect((await handler(h.s3Event('cases/K-009/manifest.json', { bucket: 'someone-else' }))).outcomes).toEqual([]);
  expect((await run('cases/K-404/manifest.json')).outcomes).toEqual([{ result: 'ignored', why: 'gone' }]);
  expect(await h.snapshotTable()).toEqual([]);
});

test('rejections are listed newest first through gsi1 REJECTIONS', async () => {
  for (const id of ['K-1', 'K-2']) {
    await h.putObject(`cases/${id}/manifest.json`, 'nope');
    await run(`cases/${id}/manifest.json`);
  }
  const { items } = await h.store.listRejections({ limit: 10 });
  expect(items.map((r) => r.caseId)).toEqual(['K-2', 'K-1']);
  expect(keys.rejection('K-1', 'x', 'x').gsi1pk).toBe('REJECTIONS');
});
