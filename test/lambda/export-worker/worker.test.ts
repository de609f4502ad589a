/**
 * Exports end to end against moto: POST /exports queues a job (202), the worker (triggered by the
 * job's insert on the table's stream; delivered here by test/helpers/export-worker.ts) writes the
 * files, GET /exports/{exportId} follows the job to its download links. Redelivery, concurrent
 * deliveries, a worker that died mid-run and a failing export each leave exactly one outcome.
 */
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { handler as coordinator } from '../../../lambda/coordinator-api/handler';
import { runQueuedExport, type WorkerDeps } from '../../../lambda/export-worker/core';
import { handler as worker, queuedExports } from '../../../lambda/export-worker/handler';
import { s3Sink, storePseudonyms } from '../../../lambda/export-worker/adapters';
import { auditEvent } from '../../../lambda/store/audit';
import { startHarness, type Harness } from '../../helpers/api-harness';
import { jobInsertEvent, runExportWorker } from '../../helpers/export-worker';
import { grade } from '../../helpers/grades';
import { seedReadCase } from '../../helpers/reading-seed';

jest.setTimeout(120_000);

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
}, 60_000);
afterAll(() => h?.stop(), 60_000); // moto can take seconds to exit after a heavy suite
beforeEach(() => h.clearTable());

const call = (routeKey: string, opts: { body?: unknown; pathParameters?: Record<string, string> } = {}) =>
  h.call(coordinator, { routeKey, token: h.users.coordinator.token, ...opts });

const seedTwoReads = () =>
  seedReadCase(h, 'E1', [
    { readerId: h.users.reader.sub, answers: grade() },
    { readerId: h.users.reader2.sub, answers: grade({ OS: { vcdr: 0.35 } }) },
  ]);

async function auditActions(exportId: string): Promise<string[]> {
  return (await h.snapshotTable())
    .filter((i) => String(i.pk).startsWith('AUDIT#') && (i.detail as { exportId?: string })?.exportId === exportId)
    .map((i) => String(i.action))
    .sort();
}

test('POST /exports queues (202); the worker writes CSV and JSON; GET follows the job to 15-minute links', async () => {
  await seedTwoReads();
  const res = await call('POST /exports', { body: {} });
  expect(res.status).toBe(202);
  expect(res.json).toMatchObject({ status: 'queued', formats: ['csv', 'json'] });
  const { exportId } = res.json;
  expect(res.headers.location).toBe(`/exports/${exportId}`);

  const queued = await call('GET /exports/{exportId}', { pathParameters: { exportId } });
  expect(queued.json).toMatchObject({ exportId, status: 'queued' });
  expect(queued.json.files).toBeUndefined();

  expect((await runExportWorker(h, exportId)).results).toEqual([{ exportId, result: 'complete' }]);

  const job = await call('GET /exports/{exportId}', { pathParameters: { exportId } });
  expect(job.status).toBe(200);
  expect(job.json).toMatchObject({ exportId, status: 'complete', counts: { cases: 1, reads: 2 }, expiresInSeconds: 900 });
  expect(job.json.startedAt <= job.json.completedAt).toBe(true);
  const files = job.json.files as { name: string; url: string }[];
  expect(files.map((f) => f.name).sort()).toEqual(['agreement.csv', 'export.json', 'grades.csv']);
  for (const f of files) {
    expect(f.url).toContain(`/exports/${exportId}/${f.name}`);
    expect(new URL(f.url).searchParams.get('X-Amz-Expires')).toBe('900');
  }
  const body = async (name: string) => (await h.s3.send(new GetObjectCommand({ Bucket: h.bucketName, Key: `exports/${exportId}/${name}` }))).Body!.transformToString();
  const grades = await body('grades.csv');
  expect(grades).toContain('E1,final,OS,vcdr,0.35,0.35,concordant,system');
  expect(grades).toMatch(/,R00[12],/);
  for (const text of [grades, await body('export.json'), await body('agreement.csv')]) {
    for (const u of [h.users.reader, h.users.reader2]) for (const id of [u.sub, u.email]) expect(text).not.toContain(id);
  }
  expect(await auditActions(exportId)).toEqual(['export_completed', 'export_requested']);
  expect((await call('GET /exports/{exportId}', { pathParameters: { exportId: 'ex-20990101T000000Z-00000000' } })).status).toBe(404);
});

test('only the formats asked for are written', async () => {
  await seedTwoReads();
  const { exportId } = (await call('POST /exports', { body: { formats: ['json'] } })).json;
  await runExportWorker(h, exportId);
  const job = await call('GET /exports/{exportId}', { pathParameters: { exportId } });
  expect(job.json.files.map((f: { name: string }) => f.name)).toEqual(['export.json']);
});

test('a redelivered trigger and concurrent deliveries run the export once', async () => {
  await seedTwoReads();
  const { exportId } = (await call('POST /exports', { body: { formats: ['csv'] } })).json;
  const event = await jobInsertEvent(h, exportId);
  const concurrent = await Promise.all([worker(event), worker(event), worker(event)]);
  const again = await worker(event);
  const results = [...concurrent, again].flatMap((r) => r.results.map((x) => x.result)).sort();
  expect(results).toEqual(['complete', 'skipped', 'skipped', 'skipped']);
  expect((await h.store.getExportJob(exportId))).toMatchObject({ status: 'complete', attempts: 1 });
  expect(await auditActions(exportId)).toEqual(['export_completed', 'export_requested']);
});

test('a worker that died mid-run: the retry takes over once its lease has passed, and the stale one cannot finish', async () => {
  await seedTwoReads();
  const { exportId } = (await call('POST /exports', { body: { formats: ['csv'] } })).json;
  // The stream redelivers the same record (the image at insert) to the retry.
  const insert = await jobInsertEvent(h, exportId);
  const past = new Date(Date.now() - 60_000).toISOString();
  // The first worker took the job and died; its lease ended a minute ago.
  const dead = await h.store.takeExportJob(exportId, { at: new Date(Date.now() - 120_000).toISOString(), until: past });
  expect(dead).toMatchObject({ status: 'running', attempts: 1 });
  // While a lease is live nobody else may take the job.
  const live = await h.store.takeExportJob(exportId, { at: past, until: new Date(Date.now() + 60_000).toISOString() });
  expect(live).toBeUndefined();

  expect((await worker(insert)).results).toEqual([{ exportId, result: 'complete' }]);
  expect(await h.store.getExportJob(exportId)).toMatchObject({ status: 'complete', attempts: 2 });
  // The dead worker wakes up: its attempt no longer owns the job, so nothing changes.
  const stale = await h.store.finishExportJob(exportId, 1, { status: 'failed', error: 'Error', at: new Date().toISOString() }, auditEvent({ at: new Date().toISOString(), actor: 'system', action: 'export_failed', detail: { exportId } }));
  expect(stale).toBe(false);
  expect(await h.store.getExportJob(exportId)).toMatchObject({ status: 'complete', attempts: 2 });
  expect(await auditActions(exportId)).toEqual(['export_completed', 'export_requested']);
});

test('an export that fails is recorded as failed with its error class (no data), and not run again', async () => {
  await seedTwoReads();
  const at = new Date().toISOString();
  const exportId = 'ex-20260101T000000Z-fail0001';
  await h.store.createExportJob({ exportId, requestedBy: 'coord', createdAt: at, formats: ['csv'] }, auditEvent({ at, actor: 'coord', action: 'export_requested', detail: { exportId } }));
  class SourceUnavailable extends Error {
    override name = 'SourceUnavailable';
  }
  const deps: WorkerDeps = {
    config: h.readingConfig,
    studyId: 'test',
    jobs: h.store,
    run: {
      source: {
        cases: async function* () {
          yield* [];
          throw new SourceUnavailable('case E1 of reader x unreadable');
        },
        details: async () => [],
      },
      sink: s3Sink(h.s3, h.bucketName),
      pseudonyms: storePseudonyms(h.store, () => at),
    },
    now: () => new Date().toISOString(),
    remainingMs: () => 60_000,
  };
  expect(await runQueuedExport(deps, exportId)).toEqual({ exportId, result: 'failed', error: 'SourceUnavailable' });
  const job = await call('GET /exports/{exportId}', { pathParameters: { exportId } });
  expect(job.json).toMatchObject({ status: 'failed', error: 'SourceUnavailable' });
  expect(JSON.stringify(job.json)).not.toContain('unreadable');
  expect(await runQueuedExport(deps, exportId)).toEqual({ exportId, result: 'skipped' });
  expect(await auditActions(exportId)).toEqual(['export_failed', 'export_requested']);
});

test('only queued export jobs start the worker: inserts and requeues (MODIFY to queued)', () => {
  const record = (eventName: 'INSERT' | 'MODIFY' | 'REMOVE', image: Record<string, { S: string }>) => ({ eventName, dynamodb: { NewImage: image } });
  const job = { type: { S: 'export' }, status: { S: 'queued' }, exportId: { S: 'ex-1' } };
  const event = {
    Records: [
      record('INSERT', job),
      record('MODIFY', { ...job, exportId: { S: 'ex-2' } }),
      record('MODIFY', { ...job, exportId: { S: 'ex-3' }, status: { S: 'running' } }),
      record('REMOVE', { ...job, exportId: { S: 'ex-4' } }),
      record('INSERT', { ...job, type: { S: 'case' } }),
      record('INSERT', { ...job, status: { S: 'complete' } }),
      record('INSERT', { type: { S: 'export' }, status: { S: 'queued' } }),
    ],
  };
  expect(queuedExports(event as never)).toEqual(['ex-1', 'ex-2']);
});

test('the S3 sink uploads large files in parts and holds at most two parts of it in memory', async () => {
  const sink = s3Sink(h.s3, h.bucketName, 5 * 1024 * 1024);
  const w = sink.open('exports/multipart-test/big.csv', 'text/csv');
  const line = 'x'.repeat(1023) + '\n';
  let held = 0;
  for (let i = 0; i < 23 * 1024; i++) {
    await w.write(line);
    held = Math.max(held, w.pending!());
  }
  expect(held).toBeLessThan(10 * 1024 * 1024);
  expect((await w.close()).bytes).toBe(23 * 1024 * 1024);
  const head = await h.s3.send(new HeadObjectCommand({ Bucket: h.bucketName, Key: 'exports/multipart-test/big.csv' }));
  expect(head.ContentLength).toBe(23 * 1024 * 1024);
  expect(head.ETag).toMatch(/-3"$/); // 10 + 10 + 3 MiB
});
