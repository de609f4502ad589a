/**
 * The study export (lambda/export-worker/core.ts, `runExport`) next to the raw reads of the
 * same data, with peak memory, on synthetic finished cases (two reads each, a hidden repeat on
 * every tenth, a concordant final). Both files formats (CSV + JSON), into a discarding sink.
 *
 * - In memory, at 6,000 / 20,000 / 60,000 cases: an injected source that generates each page on
 *   demand (nothing is held), and in-memory pseudonyms. The "raw" baseline iterates the same
 *   source (pages and details) without exporting. No I/O, so the ratio is the core's own CPU cost.
 * - moto (BENCH_EXPORT_MOTO, default 2,000 cases; e.g. `6000,20000,60000`): the worker as deployed
 *   (`runQueuedExport`: the job taken, the real DynamoDB source and pseudonyms, checkpoints saved on
 *   the job, the files uploaded to S3 in multipart parts, the job finished), next to the raw
 *   paginated queries it makes (gsi1 `CASES` pages of 100; per page one BatchGetItem of the finals
 *   and one Query `READ#` per case, 16 at a time) issued directly with the document client; same
 *   server, same run. Then (unless BENCH_EXPORT_RESUME=0) the same export cut off half-way (the
 *   remaining time drops to 0), requeued and resumed by a second worker, with the files compared by
 *   sha256 against the uninterrupted run's. Seeding (BatchWriteItem of 25, four in flight) is timed
 *   apart. The server is bench/moto-indexed.py: moto with a partition index, because plain moto's
 *   Query walks the whole table (2,000 cases took over 17 min). A self-check (plain vs patched moto,
 *   same queries) must pass before anything is timed.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createTable } from '../test/helpers/api-harness';
import { BatchGetCommand, BatchWriteCommand, DeleteCommand, DynamoDBDocumentClient, QueryCommand, type BatchWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { discardingSink, runExport, runQueuedExport, type WorkerDeps, type CaseDetail, type ExportCase, type ExportSource, type Pseudonymiser, type RunOutcome } from '../lambda/export-worker/core';
import { s3Sink, storeExportSource, storePseudonyms } from '../lambda/export-worker/adapters';
import { auditEvent } from '../lambda/store/audit';
import { readingStore } from '../lambda/store';
import type { NormalisedAnswers } from '../domain/answers';
import { caseFacts } from '../domain/case';
import { finalPut, type FinalRecord } from '../lambda/store/finals';
import { keys } from '../lambda/store/keys';
import { readPutTx, type ReadRecord } from '../lambda/store/reads';
import { awsClientConfig, startMoto } from '../test/helpers/moto';
import { startSerialProxy, type SerialProxy } from '../test/helpers/serial-proxy';
import { CONFIG, grade } from '../test/helpers/grades';

const PAGE = 100;
const READERS = 20;
const AT = '2026-02-01T00:00:00.000Z';
const caseId = (i: number) => `X${String(i).padStart(6, '0')}`;
const indexOf = (id: string) => Number(id.slice(1));

const ICDR = ['none', 'mild_npdr', 'moderate_npdr', 'severe_npdr', 'pdr'];
const TEMPLATES = ICDR.flatMap((icdrLevel) => ['absent', 'present'].map((dme) => grade({ OD: { icdrLevel, dme }, OS: { icdrLevel } })));
const answers = (n: number): NormalisedAnswers => {
  const a = TEMPLATES[n % TEMPLATES.length];
  return { eyes: { OD: { ...a.eyes.OD }, OS: { ...a.eyes.OS } }, participant: { ...a.participant } };
};

/** Case i, generated afresh on every call. */
function synthetic(i: number): { c: ExportCase; detail: CaseDetail } {
  const id = caseId(i);
  const r1 = `reader-${(i * 7) % READERS}`;
  const r2 = `reader-${(i * 7 + 3) % READERS}`;
  const reads = [
    { readerId: r1, readNo: 1, submittedAt: AT, answers: answers(i) },
    { readerId: r2, readNo: 1, submittedAt: AT, answers: answers(i + (i % 3 === 0 ? 1 : 0)) },
    ...(i % 10 === 0 ? [{ readerId: r1, readNo: 2, submittedAt: AT, answers: answers(i) }] : []),
  ];
  const final: FinalRecord = { caseId: id, provenance: 'concordant', value: answers(i), formVersion: CONFIG.form.formVersion, decidedBy: 'system', decidedAt: AT };
  return { c: { caseId: id, state: 'final', facts: caseFacts({ eyes: ['OD', 'OS'], octPresent: false }) }, detail: { reads, final } };
}

function memorySource(n: number, onPage: () => void): ExportSource {
  return {
    async *cases(after) {
      for (let start = after === undefined ? 0 : Number(after); start < n; start += PAGE) {
        await new Promise((r) => setImmediate(r)); // a page is an I/O round trip: let timers (the sampler) run
        onPage();
        yield { cases: Array.from({ length: Math.min(PAGE, n - start) }, (_, j) => synthetic(start + j).c), ...(start + PAGE < n ? { next: String(start + PAGE) } : {}) };
      }
    },
    details: async (ids) => ids.map((id) => synthetic(indexOf(id)).detail),
  };
}

function memoryPseudonyms(): Pseudonymiser {
  const codes = new Map<string, string>();
  return {
    codes: async (ids) => {
      for (const id of ids) if (!codes.has(id)) codes.set(id, `R${String(codes.size + 1).padStart(3, '0')}`);
      return codes;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Time and peak memory of one run.

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

interface Measured {
  ms: number;
  /** Peak heapUsed and rss during the run, above what was in use when it started (MiB). */
  heapMiB: number;
  rssMiB: number;
  /** Peak rss of the whole process (MiB), and the 1-minute load average at the end. */
  rssPeakMiB: number;
  load: number;
}

async function measure(run: (sample: () => void) => Promise<unknown>): Promise<Measured> {
  gc();
  const base = process.memoryUsage();
  let heap = base.heapUsed;
  let rss = base.rss;
  const sample = () => {
    const m = process.memoryUsage();
    heap = Math.max(heap, m.heapUsed);
    rss = Math.max(rss, m.rss);
  };
  const timer = setInterval(sample, 5);
  const t = performance.now();
  try {
    await run(sample);
  } finally {
    clearInterval(timer);
  }
  const elapsed = performance.now() - t;
  sample();
  return { ms: elapsed, heapMiB: (heap - base.heapUsed) / 2 ** 20, rssMiB: (rss - base.rss) / 2 ** 20, rssPeakMiB: rss / 2 ** 20, load: loadavg()[0] };
}

function completed(out: RunOutcome): Extract<RunOutcome, { status: 'complete' }> {
  if (out.status !== 'complete') throw new Error(`export ended ${out.status}`);
  return out;
}

const exportInput = (id: string) => ({ exportId: id, studyId: 'bench', config: CONFIG, formats: ['csv', 'json'] as const, createdAt: AT });

// ---------------------------------------------------------------------------------------------
// moto, patched so that a Query visits only its partition (bench/moto-indexed.py says how and why).

const TABLE = 'readroom-bench-export';
const BUCKET = 'readroom-bench-export';
const FIFTEEN_MINUTES = 15 * 60 * 1000;

/** sha256 of each object, streamed. */
async function hashes(s3: S3Client, objectKeys: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const Key of objectKeys) {
    const body = (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key }))).Body as AsyncIterable<Uint8Array>;
    const h = createHash('sha256');
    for await (const chunk of body) h.update(chunk);
    out.push(`${Key} ${h.digest('hex')}`);
  }
  return out;
}
const LAUNCHER = join(__dirname, 'moto-indexed.py');

/** Plain moto vs patched moto on the same queries (bench/moto-indexed.py --self-check). */
async function selfCheck(): Promise<string> {
  try {
    const { stdout } = await promisify(execFile)('python3', [LAUNCHER, '--self-check'], { maxBuffer: 2 ** 22 });
    return stdout.trim();
  } catch (e) {
    const { stdout = '', stderr = '' } = e as { stdout?: string; stderr?: string };
    throw new Error(`moto-indexed self-check failed: the patched Query differs from moto's\n${stdout}${stderr}`);
  }
}

/** The items of case i as the stores write them: the case (gsi1 `CASES`), its reads, its final. */
function caseItems(table: string, i: number): Record<string, unknown>[] {
  const { c, detail } = synthetic(i);
  return [
    { ...keys.case(c.caseId), ...keys.casesByState('final', AT, c.caseId), type: 'case', caseId: c.caseId, state: 'final', eyes: ['OD', 'OS'], octPresent: false, files: [], assignedCount: 2, submittedCount: 2, registeredAt: AT, updatedAt: AT },
    ...detail.reads.map((r) => {
      const read: ReadRecord = { caseId: c.caseId, readerId: r.readerId, readNo: r.readNo, version: 1, status: 'submitted', answers: r.answers, formId: CONFIG.form.formId, formVersion: CONFIG.form.formVersion, createdAt: AT, updatedAt: AT, submittedAt: AT };
      return (readPutTx(table, read).item as { Put: { Item: Record<string, unknown> } }).Put.Item;
    }),
    finalPut(table, detail.final!).Put!.Item as Record<string, unknown>,
  ];
}

function* batchesOf25(table: string, from: number, to: number): Generator<Record<string, unknown>[]> {
  let batch: Record<string, unknown>[] = [];
  for (let i = from; i < to; i++) {
    for (const item of caseItems(table, i)) {
      batch.push(item);
      if (batch.length === 25) yield batch.splice(0);
    }
  }
  if (batch.length) yield batch;
}

/** Seeds cases [from, to): BatchWriteItem of 25, four in flight (the serial proxy applies them one by one). */
async function seedMoto(db: DynamoDBDocumentClient, table: string, from: number, to: number): Promise<void> {
  const batches = batchesOf25(table, from, to);
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (let b = batches.next(); !b.done; b = batches.next()) {
        let request: BatchWriteCommandInput['RequestItems'] = { [table]: b.value.map((Item) => ({ PutRequest: { Item } })) };
        while (request && Object.keys(request).length) request = (await db.send(new BatchWriteCommand({ RequestItems: request }))).UnprocessedItems;
      }
    }),
  );
}

/** The export's reads, without the export. */
async function rawReads(db: DynamoDBDocumentClient, table: string, sample: () => void): Promise<number> {
  let items = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.send(
      new QueryCommand({
        TableName: table,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :p',
        ExpressionAttributeValues: { ':p': 'CASES' },
        ProjectionExpression: 'pk, sk, gsi1pk, gsi1sk, caseId, #state, eyes, octPresent',
        ExpressionAttributeNames: { '#state': 'state' },
        Limit: PAGE,
        ExclusiveStartKey: start,
      }),
    );
    const ids = (page.Items ?? []).map((i) => String(i.caseId));
    const queue = [...ids];
    const [finals] = await Promise.all([
      db.send(new BatchGetCommand({ RequestItems: { [table]: { Keys: ids.map((id) => keys.final(id)), ConsistentRead: true } } })),
      ...Array.from({ length: 16 }, async () => {
        for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
          const out = await db.send(
            new QueryCommand({ TableName: table, KeyConditionExpression: 'pk = :pk AND begins_with(sk, :s)', ExpressionAttributeValues: { ':pk': `CASE#${id}`, ':s': 'READ#' }, ConsistentRead: true }),
          );
          items += out.Items?.length ?? 0;
        }
      }),
    ]);
    items += finals.Responses?.[table]?.length ?? 0;
    sample();
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

// ---------------------------------------------------------------------------------------------

export interface ExportRow {
  where: 'memory' | 'moto';
  cases: number;
  raw: Measured;
  exported: Measured;
  ratio: number;
  rows: number;
  bytes: number;
}

function print(r: ExportRow, log: (l: string) => void): void {
  const s = (m: Measured) => `${(m.ms / 1000).toFixed(2)} s (peak heap +${m.heapMiB.toFixed(1)} MiB, rss +${m.rssMiB.toFixed(1)} MiB = ${m.rssPeakMiB.toFixed(0)} MiB; load ${m.load.toFixed(1)})`;
  log(
    `  ${r.where.padEnd(6)} ${String(r.cases).padStart(6)} cases: export ${s(r.exported)} | raw reads ${s(r.raw)} | ratio ${r.ratio.toFixed(2)}x | ${r.rows} grade rows, ${(r.bytes / 2 ** 20).toFixed(0)} MiB written`,
  );
}

export async function benchExport(log: (l: string) => void = console.log): Promise<ExportRow[]> {
  const rows: ExportRow[] = [];
  const sizes = (process.env.BENCH_EXPORT_SIZES ?? '6000,20000,60000').split(',').filter(Boolean).map(Number);
  for (const n of sizes) {
    const raw = await measure(async (sample) => {
      const src = memorySource(n, sample);
      for await (const page of src.cases()) await src.details(page.cases.map((c) => c.caseId));
    });
    const sink = discardingSink();
    let counts = { rows: 0 };
    const exported = await measure(async (sample) => {
      counts = completed(await runExport(exportInput(`mem-${n}`), { source: memorySource(n, sample), sink, pseudonyms: memoryPseudonyms() })).counts;
    });
    const row: ExportRow = { where: 'memory', cases: n, raw, exported, ratio: exported.ms / raw.ms, rows: counts.rows, bytes: sink.bytes() };
    rows.push(row);
    print(row, log);
  }

  const motoSizes = (process.env.BENCH_EXPORT_MOTO ?? '2000').split(',').filter(Boolean).map(Number).sort((x, y) => x - y);
  if (!motoSizes.length) return rows;
  const checked = selfCheck(); // runs while moto starts and is seeded; awaited before anything is timed
  checked.catch(() => undefined); // not unhandled if moto fails to start first
  const moto = await startMoto([LAUNCHER]);
  let proxy: SerialProxy | undefined;
  let ddbRaw: DynamoDBClient | undefined;
  let s3: S3Client | undefined;
  try {
    // One request at a time, as in the API tests (moto is not safe under concurrent requests).
    proxy = await startSerialProxy(moto.endpoint);
    ddbRaw = new DynamoDBClient(awsClientConfig(proxy.endpoint));
    const db = DynamoDBDocumentClient.from(ddbRaw, { marshallOptions: { removeUndefinedValues: true } });
    await createTable(ddbRaw, TABLE);
    const now = () => new Date().toISOString();
    const store = readingStore(db, TABLE);
    /** The real DynamoDB source, optionally cut after `pages` pages (the warm-up). */
    const source = (pages = Infinity): ExportSource => {
      const all = storeExportSource(store);
      async function* cases(after?: string) {
        let k = 0;
        for await (const page of all.cases(after)) {
          if (k++ === pages) return;
          yield page;
        }
      }
      return { ...all, cases };
    };
    s3 = new S3Client(awsClientConfig(proxy.endpoint));
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET, CreateBucketConfiguration: { LocationConstraint: 'ap-northeast-2' } }));
    const resumeToo = process.env.BENCH_EXPORT_RESUME !== '0';
    let seeded = 0;
    for (const n of motoSizes) {
      const t = performance.now();
      await seedMoto(db, TABLE, seeded, n); // the sizes share one table: each adds the cases it lacks
      seeded = n;
      log(`  moto: seeded ${n} cases in ${((performance.now() - t) / 1000).toFixed(1)} s; ${await checked}`.replace(/\n/g, '; '));
      // Untimed: the first 5 pages exported (pseudonyms of all 20 readers allocated, code warm, and the
      // launcher's gsi1 partition rebuilt after the seeding's writes), then the timed pair.
      await runExport(exportInput(`moto-warm-${n}`), { source: source(5), sink: discardingSink(), pseudonyms: storePseudonyms(store, now) });
      let items = 0;
      const raw = await measure(async (sample) => void (items = await rawReads(db, TABLE, sample)));
      // The worker as deployed: the job taken, checkpoints saved, files uploaded to S3 in parts, the job finished.
      const exportId = `ex-20260201T000000Z-${String(n).padStart(8, '0')}`;
      const worker = (remainingMs: () => number): WorkerDeps => ({
        config: CONFIG,
        studyId: 'bench',
        jobs: store,
        run: { source: source(), sink: s3Sink(s3!, BUCKET), pseudonyms: storePseudonyms(store, now) },
        now,
        remainingMs,
      });
      const queue = async () => {
        await db.send(new DeleteCommand({ TableName: TABLE, Key: keys.exportJob(exportId) }));
        await store.createExportJob({ exportId, requestedBy: 'bench', createdAt: AT, formats: ['csv', 'json'] }, auditEvent({ at: now(), actor: 'bench', action: 'export_requested', detail: { exportId } }));
      };
      await queue();
      const results: string[] = [];
      const exported = await measure(async () => void results.push((await runQueuedExport(worker(() => FIFTEEN_MINUTES), exportId)).result));
      const job = await store.getExportJob(exportId);
      if (results[0] !== 'complete' || job?.status !== 'complete') throw new Error(`export ${exportId}: ${results[0]}, job ${job?.status}`);
      const bytes = job.files!.reduce((sum, f) => sum + f.bytes, 0);
      const row: ExportRow = { where: 'moto', cases: n, raw, exported, ratio: exported.ms / raw.ms, rows: job.counts!.rows, bytes };
      rows.push(row);
      print(row, log);
      const expected = rows.find((r) => r.where === 'memory' && r.cases === n);
      if (expected && expected.rows !== row.rows) throw new Error(`moto export wrote ${row.rows} grade rows for ${n} cases, in memory ${expected.rows}`);
      if (items !== Math.round(n * 3.1)) log(`  moto: raw reads returned ${items} items, expected ${Math.round(n * 3.1)}`);
      log(`  moto: ${job.files!.map((f) => `${f.name} ${(f.bytes / 2 ** 20).toFixed(1)} MiB`).join(', ')}`);
      if (!resumeToo) continue;

      // The same export cut off half-way (the remaining time drops after half the pages), requeued,
      // and resumed by a second worker: total time, work redone, and the files byte for byte.
      const reference = await hashes(s3, job.files!.map((f) => f.key));
      await queue();
      const half = Math.ceil(n / PAGE / 2);
      let asked = 0;
      let stoppedAt = 0;
      const resumed = await measure(async () => {
        // Asked once when the job is taken, then after every page.
        const first = await runQueuedExport(worker(() => (asked++ < half ? FIFTEEN_MINUTES : 0)), exportId);
        stoppedAt = first.cases ?? 0;
        const second = await runQueuedExport(worker(() => FIFTEEN_MINUTES), exportId);
        results.push(first.result, second.result);
      });
      const after = await store.getExportJob(exportId);
      const same = JSON.stringify(await hashes(s3, after!.files!.map((f) => f.key))) === JSON.stringify(reference);
      log(
        `  moto ${String(n).padStart(6)} cases, cut off after ${stoppedAt} cases and resumed: ${(resumed.ms / 1000).toFixed(2)} s in all ` +
          `(${(resumed.ms / exported.ms).toFixed(2)}x the uninterrupted export; peak rss +${resumed.rssMiB.toFixed(1)} MiB) | runs: ${results.slice(1).join(', ')} | attempts ${after?.attempts} | files ${same ? 'byte-identical' : 'DIFFER'}`,
      );
      if (!same || after?.status !== 'complete') throw new Error('the resumed export differs from the uninterrupted one');
    }
  } finally {
    ddbRaw?.destroy();
    s3?.destroy();
    await proxy?.close();
    await moto.stop();
  }
  return rows;
}
