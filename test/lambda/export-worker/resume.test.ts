/**
 * An export cut off mid-way resumes from its checkpoint instead of starting over, and ends with the
 * same bytes as a run that never stopped; a second worker, concurrent or stale, cannot write into
 * the files the owner completes. Real store, real S3 multipart uploads, against moto.
 *
 * moto's S3 minimum part size is lowered for this file (S3_UPLOAD_PART_MIN_SIZE, set on the worker's
 * shared moto at run time and put back for the next file by the harness) so that an export of 80
 * cases spans many parts and checkpoints; the 5 MiB rule itself is S3's, and the deployed worker
 * cuts 8 MiB parts.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteObjectCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DeleteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { PART_CONCURRENCY, s3Sink, storeExportSource, storePseudonyms } from '../../../lambda/export-worker/adapters';
import { MAX_ATTEMPTS, SOFT_STOP_MS, runQueuedExport, type RunResult, type WorkerDeps } from '../../../lambda/export-worker/core';
import { queuedExports } from '../../../lambda/export-worker/handler';
import { NUDGE_AFTER_MS, getExport } from '../../../lambda/coordinator-api/core';
import { readingStore } from '../../../lambda/store';
import { auditEvent } from '../../../lambda/store/audit';
import { finalPut } from '../../../lambda/store/finals';
import { keys } from '../../../lambda/store/keys';
import { readPutTx, type ReadRecord } from '../../../lambda/store/reads';
import { startHarness, type Harness } from '../../helpers/api-harness';
import { countInFlight } from '../../helpers/in-flight';
import { awsClientConfig } from '../../helpers/moto';
import { jobInsertEvent } from '../../helpers/export-worker';
import { CONFIG, grade } from '../../helpers/grades';

jest.setTimeout(180_000);

const CASES = 80;
const PAGE = 10;
/** Parts of 24 KiB: the JSON file reaches it every other page or so, so some pages end without a checkpoint. */
const PART = 24 * 1024;
const AT = '2026-02-01T00:00:00.000Z';
const EXPORT_ID = 'ex-20260201T000000Z-resume01';
const FILES = ['grades.csv', 'export.json', 'agreement.csv'];
const LONG = 15 * 60 * 1000;

let h: Harness;
let reference: Map<string, Buffer>;

const ICDR = ['none', 'mild_npdr', 'moderate_npdr', 'severe_npdr', 'pdr'];

/** 80 finished cases (two reads, a hidden repeat on every fifth, a final), written directly. */
async function seed(): Promise<void> {
  const items: Record<string, unknown>[] = [];
  for (let i = 0; i < CASES; i++) {
    const caseId = `R${String(i).padStart(4, '0')}`;
    const a = grade({ OD: { icdrLevel: ICDR[i % 5] }, participant: { comment: `note ${i}, "quoted"` } });
    const b = grade({ OD: { icdrLevel: ICDR[(i + (i % 3)) % 5] } });
    const readers = [`reader-${i % 7}`, `reader-${(i + 3) % 7}`];
    items.push({ ...keys.case(caseId), ...keys.casesByState('final', AT, caseId), type: 'case', caseId, state: 'final', eyes: ['OD', 'OS'], octPresent: false, files: [], assignedCount: 2, submittedCount: 2, registeredAt: AT, updatedAt: AT });
    const reads: [string, number, typeof a][] = [[readers[0], 1, a], [readers[1], 1, b], ...(i % 5 === 0 ? ([[readers[0], 2, b]] as [string, number, typeof a][]) : [])];
    for (const [readerId, readNo, answers] of reads) {
      const read: ReadRecord = { caseId, readerId, readNo, version: 1, status: 'submitted', answers, formId: CONFIG.form.formId, formVersion: CONFIG.form.formVersion, createdAt: AT, updatedAt: AT, submittedAt: AT };
      items.push((readPutTx(h.tableName, read).item as { Put: { Item: Record<string, unknown> } }).Put.Item);
    }
    items.push(finalPut(h.tableName, { caseId, provenance: 'concordant', value: a, formVersion: CONFIG.form.formVersion, decidedBy: 'system', decidedAt: AT }).Put!.Item as Record<string, unknown>);
  }
  await h.writeBatch(items.map((Item) => ({ PutRequest: { Item } })));
}

/** Queues the export afresh under the same id (so export.json's header is the same too). */
async function queue(): Promise<void> {
  await h.ddb.send(new DeleteCommand({ TableName: h.tableName, Key: keys.exportJob(EXPORT_ID) }));
  for (const f of FILES) await h.s3.send(new DeleteObjectCommand({ Bucket: h.bucketName, Key: `exports/${EXPORT_ID}/${f}` }));
  await h.store.createExportJob({ exportId: EXPORT_ID, requestedBy: 'coord', createdAt: AT, formats: ['csv', 'json'] }, auditEvent({ at: AT, actor: 'coord', action: 'export_requested', detail: { exportId: EXPORT_ID } }));
}

/** The worker's real ports over this harness; `remainingMs` is what the handler takes from the Lambda context. */
function worker(remainingMs: () => number, seen?: { cases: number }, jobs: WorkerDeps['jobs'] = h.store, s3: S3Client = h.s3): WorkerDeps {
  const source = storeExportSource(h.store, { pageSize: PAGE });
  return {
    config: CONFIG,
    studyId: 'test',
    jobs,
    run: {
      source: seen
        ? {
            ...source,
            details: (ids) => {
              seen.cases += ids.length;
              return source.details(ids);
            },
          }
        : source,
      sink: s3Sink(s3, h.bucketName, PART),
      pseudonyms: storePseudonyms(h.store, () => AT),
    },
    now: () => new Date().toISOString(),
    remainingMs,
  };
}

/**
 * Remaining time as Lambda reports it: plenty for the first `pages` pages, then `left` (default
 * 1 s: below the hard reserve, the worker stops at once).
 */
function cutOffAfter(pages: number, left = 1_000): () => number {
  let asked = 0; // once when the job is taken (0), then after every page (1, 2, …)
  return () => (asked++ < pages ? LONG : left);
}

async function files(): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const f of FILES) {
    const body = await (await h.s3.send(new GetObjectCommand({ Bucket: h.bucketName, Key: `exports/${EXPORT_ID}/${f}` }))).Body!.transformToByteArray();
    out.set(f, Buffer.from(body));
  }
  return out;
}

async function completions(): Promise<number> {
  return (await h.snapshotTable()).filter((i) => String(i.pk).startsWith('AUDIT#') && i.action === 'export_completed' && (i.detail as { exportId?: string }).exportId === EXPORT_ID).length;
}

beforeAll(async () => {
  h = await startHarness({ motoEnv: { S3_UPLOAD_PART_MIN_SIZE: String(PART) } });
  await seed();
  await queue();
  expect(await runQueuedExport(worker(() => LONG), EXPORT_ID)).toEqual({ exportId: EXPORT_ID, result: 'complete' });
  reference = await files();
  // The reference itself spans several parts (a multipart ETag ends in -<parts>).
  const head = await h.s3.send(new GetObjectCommand({ Bucket: h.bucketName, Key: `exports/${EXPORT_ID}/grades.csv` }));
  expect(head.ETag).toMatch(/-\d+"$/);
}, 180_000);
afterAll(() => h?.stop(), 60_000);

test('a worker whose time runs out requeues the job; the requeue starts the next worker, which resumes from the checkpoint and ends with the same bytes', async () => {
  await queue();
  const before = await completions();
  const first = await runQueuedExport(worker(cutOffAfter(4)), EXPORT_ID);
  expect(first).toEqual({ exportId: EXPORT_ID, result: 'requeued', cases: 4 * PAGE });
  const requeued = await h.store.getExportJob(EXPORT_ID);
  expect(requeued).toMatchObject({ status: 'queued', attempts: 1 });
  expect(requeued?.leaseUntil).toBeUndefined();
  expect(requeued?.checkpoint).toBeInstanceOf(Uint8Array);
  const saved = requeued!.progressCases!;
  expect(saved).toBeGreaterThan(0);
  expect(saved).toBeLessThanOrEqual(4 * PAGE);

  // The requeue is a MODIFY of the job to `queued`: what the stream filter and the handler start on.
  const insert = await jobInsertEvent(h, EXPORT_ID);
  const modify: DynamoDBStreamEvent = { Records: insert.Records.map((r) => ({ ...r, eventName: 'MODIFY' })) };
  expect(queuedExports(modify)).toEqual([EXPORT_ID]);

  const seen = { cases: 0 };
  expect(await runQueuedExport(worker(() => LONG, seen), EXPORT_ID)).toEqual({ exportId: EXPORT_ID, result: 'complete' });
  // Resumed, not restarted: the second worker read only the cases after the checkpoint.
  expect(seen.cases).toBe(CASES - saved);
  const job = await h.store.getExportJob(EXPORT_ID);
  expect(job).toMatchObject({ status: 'complete', attempts: 2, counts: { cases: CASES } });
  expect(job?.checkpoint).toBeUndefined();
  const out = await files();
  for (const f of FILES) expect({ f, same: out.get(f)!.equals(reference.get(f)!) }).toEqual({ f, same: true });
  expect(await completions()).toBe(before + 1);
});

test('cut off again and again with a few minutes left, each attempt stops at a checkpoint, so every one makes progress and none redoes a page it wrote', async () => {
  await queue();
  const results: RunResult['result'][] = [];
  let read = 0;
  for (let i = 0; i < MAX_ATTEMPTS; i++) {
    const seen = { cases: 0 };
    const r = await runQueuedExport(worker(cutOffAfter(1, SOFT_STOP_MS - 1), seen), EXPORT_ID);
    read += seen.cases;
    results.push(r.result);
    if (r.result !== 'requeued') break;
    expect((await h.store.getExportJob(EXPORT_ID))?.progressCases).toBe(r.cases);
  }
  expect(results.at(-1)).toBe('complete');
  expect(results.length).toBeGreaterThan(2);
  // Each stopped attempt also read (and dropped) the one page it had read ahead; nothing else twice.
  expect(read).toBe(CASES + PAGE * (results.length - 1));
  const out = await files();
  for (const f of FILES) expect({ f, same: out.get(f)!.equals(reference.get(f)!) }).toEqual({ f, same: true });
});

test('a stale worker still running after its lease passed, and a concurrent delivery, cannot corrupt the file the owner completes', async () => {
  await queue();
  const before = await completions();
  let takeover: Promise<RunResult[]> | undefined;
  let asked = 0;
  // Worker A's lease ends at once (its first answer), but A keeps going: a worker that lost track of
  // time. After its third page, two more deliveries arrive: one takes the job over, one finds it taken.
  const stale = runQueuedExport(
    worker(() => {
      asked++;
      if (asked === 1) return 1;
      if (asked === 4) takeover = Promise.all([runQueuedExport(worker(() => LONG), EXPORT_ID), runQueuedExport(worker(() => LONG), EXPORT_ID)]);
      return LONG;
    }),
    EXPORT_ID,
  );
  const a = await stale;
  const others = await takeover!;
  expect(a).toEqual({ exportId: EXPORT_ID, result: 'superseded' });
  expect(others.map((r) => r.result).sort()).toEqual(['complete', 'skipped']);
  expect(await h.store.getExportJob(EXPORT_ID)).toMatchObject({ status: 'complete', attempts: 2, counts: { cases: CASES } });
  const out = await files();
  for (const f of FILES) expect({ f, same: out.get(f)!.equals(reference.get(f)!) }).toEqual({ f, same: true });
  expect(await completions()).toBe(before + 1);
});

test(`after ${MAX_ATTEMPTS} attempts the job fails instead of being requeued forever`, async () => {
  await queue();
  for (let i = 0; i < MAX_ATTEMPTS; i++) {
    const at = new Date(Date.now() - (MAX_ATTEMPTS - i) * 60_000).toISOString();
    expect(await h.store.takeExportJob(EXPORT_ID, { at, until: at })).toMatchObject({ attempts: i + 1 });
  }
  expect(await runQueuedExport(worker(() => LONG), EXPORT_ID)).toEqual({ exportId: EXPORT_ID, result: 'failed', error: 'ExportAttemptsExhausted' });
  expect(await h.store.getExportJob(EXPORT_ID)).toMatchObject({ status: 'failed', attempts: MAX_ATTEMPTS + 1 });
});

/** The job's store with the proxy arming `mode` on the requeue's own request (nothing else is in flight then: the read-ahead page was awaited). */
function breakingRequeue(mode: 'drop' | 'cut', store: WorkerDeps['jobs'] = h.store): WorkerDeps['jobs'] {
  return {
    ...store,
    requeueExportJob: (...args) => {
      h.faults.arm(1, mode);
      return store.requeueExportJob(...args);
    },
  };
}

/** What a coordinator sees polling GET /exports/{id} at `now` (the route's core over the real store). */
const poll = (now: string) => getExport({ store: h.store, links: { presign: async (key) => `https://signed/${key}` } }, EXPORT_ID, now);

describe('a requeue that does not take effect still ends in an outcome', () => {
  test('the requeue applied but its answer was lost: the SDK retry finds it queued by this same attempt, so the worker reports requeued (not superseded) and the next delivery resumes', async () => {
    await queue();
    const r = await runQueuedExport(worker(cutOffAfter(4), undefined, breakingRequeue('cut')), EXPORT_ID);
    expect(h.faults.fired()).toBe(true);
    expect(r).toEqual({ exportId: EXPORT_ID, result: 'requeued', cases: 4 * PAGE });
    expect(await h.store.getExportJob(EXPORT_ID)).toMatchObject({ status: 'queued', attempts: 1 });
    expect(await runQueuedExport(worker(() => LONG), EXPORT_ID)).toEqual({ exportId: EXPORT_ID, result: 'complete' });
    const out = await files();
    for (const f of FILES) expect({ f, same: out.get(f)!.equals(reference.get(f)!) }).toEqual({ f, same: true });
  });

  test('the requeue fails (DynamoDB unreachable): the worker throws for the stream to retry, does not record the export as failed, and a coordinator polling after the lease sees it requeued and then complete', async () => {
    await queue();
    const before = await completions();
    // The functions' clients run with one attempt here (README, Testing): the dropped request is the requeue's only try.
    const oneTry = DynamoDBDocumentClient.from(new DynamoDBClient({ ...awsClientConfig(h.endpoint), maxAttempts: 1 }), { marshallOptions: { removeUndefinedValues: true } });
    try {
      const run = runQueuedExport(worker(cutOffAfter(4), undefined, breakingRequeue('drop', readingStore(oneTry, h.tableName))), EXPORT_ID);
      await expect(run).rejects.toThrow();
    } finally {
      oneTry.destroy();
    }
    expect(h.faults.fired()).toBe(true);
    const held = await h.store.getExportJob(EXPORT_ID);
    expect(held).toMatchObject({ status: 'running', attempts: 1 });
    expect(held?.checkpoint).toBeInstanceOf(Uint8Array);

    // Within the lease a poll changes nothing; once it has passed, the poll puts the job back in the queue.
    const from = h.faults.count();
    expect(await poll(new Date(Date.parse(held!.leaseUntil!) - 1_000).toISOString())).toMatchObject({ status: 'running' });
    expect(h.faults.changes(from)).toEqual([]);
    const after = new Date(Date.parse(held!.leaseUntil!) + 1_000).toISOString();
    expect(await poll(after)).toMatchObject({ status: 'queued' });
    expect(await h.store.getExportJob(EXPORT_ID)).toMatchObject({ status: 'queued', attempts: 1, requeuedAt: after });

    // That update's stream record (a MODIFY to queued) starts the next worker, which resumes.
    const insert = await jobInsertEvent(h, EXPORT_ID);
    expect(queuedExports({ Records: insert.Records.map((rec) => ({ ...rec, eventName: 'MODIFY' })) })).toEqual([EXPORT_ID]);
    expect(await runQueuedExport(worker(() => LONG), EXPORT_ID)).toEqual({ exportId: EXPORT_ID, result: 'complete' });
    expect(await poll(new Date().toISOString())).toMatchObject({ status: 'complete', counts: { cases: CASES } });
    const out = await files();
    for (const f of FILES) expect({ f, same: out.get(f)!.equals(reference.get(f)!) }).toEqual({ f, same: true });
    expect(await completions()).toBe(before + 1);
  });

  test('the requeue took effect but its stream record never started a worker: a poll after the grace period queues it again (a new record), and the next worker resumes', async () => {
    await queue();
    expect(await runQueuedExport(worker(cutOffAfter(4)), EXPORT_ID)).toMatchObject({ result: 'requeued' });
    const queued = await h.store.getExportJob(EXPORT_ID);
    const since = Date.parse(queued!.requeuedAt!);
    const from = h.faults.count();
    expect(await poll(new Date(since + NUDGE_AFTER_MS - 1_000).toISOString())).toMatchObject({ status: 'queued' });
    expect(h.faults.changes(from)).toEqual([]);
    const late = new Date(since + NUDGE_AFTER_MS + 1_000).toISOString();
    const mark = h.faults.count();
    expect(await poll(late)).toMatchObject({ status: 'queued' });
    // The job item was written again (so the stream emits a new MODIFY to queued), by the same attempt's standing.
    expect(h.faults.changes(mark)).toEqual(['UpdateItem']);
    expect(await h.store.getExportJob(EXPORT_ID)).toMatchObject({ status: 'queued', attempts: 1, requeuedAt: late });
    expect(await runQueuedExport(worker(() => LONG), EXPORT_ID)).toEqual({ exportId: EXPORT_ID, result: 'complete' });
    const out = await files();
    for (const f of FILES) expect({ f, same: out.get(f)!.equals(reference.get(f)!) }).toEqual({ f, same: true });
  });
});

describe('parts are uploaded side by side, at most PART_CONCURRENCY at once', () => {
  /** An S3 client that counts its UploadPart requests in flight (SDK middleware: sent, not yet answered). */
  function countingS3() {
    const s3 = new S3Client(awsClientConfig(h.endpoint));
    return { s3, seen: countInFlight(s3, 'UploadPartCommand') };
  }

  test('a full run and a cut-off run resumed keep up to PART_CONCURRENCY parts in flight, and still write the same bytes', async () => {
    expect(PART_CONCURRENCY).toBe(4);
    const whole = countingS3();
    try {
      await queue();
      expect(await runQueuedExport(worker(() => LONG, undefined, h.store, whole.s3), EXPORT_ID)).toEqual({ exportId: EXPORT_ID, result: 'complete' });
      expect(whole.seen.calls).toBeGreaterThan(PART_CONCURRENCY);
      expect(whole.seen.most).toBeGreaterThan(1);
      expect(whole.seen.most).toBeLessThanOrEqual(PART_CONCURRENCY);
      expect(whole.seen.now).toBe(0);
      const out = await files();
      for (const f of FILES) expect({ f, same: out.get(f)!.equals(reference.get(f)!) }).toEqual({ f, same: true });
    } finally {
      whole.s3.destroy();
    }

    const first = countingS3();
    const second = countingS3();
    try {
      await queue();
      expect(await runQueuedExport(worker(cutOffAfter(5), undefined, h.store, first.s3), EXPORT_ID)).toMatchObject({ result: 'requeued' });
      // Nothing left in flight once the worker returned: the checkpoint covers only answered parts.
      expect(first.seen.now).toBe(0);
      expect(first.seen.most).toBeGreaterThan(1);
      expect(await runQueuedExport(worker(() => LONG, undefined, h.store, second.s3), EXPORT_ID)).toEqual({ exportId: EXPORT_ID, result: 'complete' });
      expect(second.seen.most).toBeLessThanOrEqual(PART_CONCURRENCY);
      const out = await files();
      for (const f of FILES) expect({ f, same: out.get(f)!.equals(reference.get(f)!) }).toEqual({ f, same: true });
    } finally {
      first.s3.destroy();
      second.s3.destroy();
    }
  });
});
