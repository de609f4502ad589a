/**
 * The export worker's ports, implemented: the case source over the reading table (../store: cases
 * page by page from gsi1 `CASES`, then per page one BatchGetItem for the finals and one Query per
 * case for its reads; nothing scans), the pseudonyms, and the object sink on S3. Built once per
 * container, on first use.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { caseFacts } from '../../domain/case';
import { documentClient } from '../runtime/clients/dynamodb';
import { s3Client } from '../runtime/clients/s3';
import { loadEnv } from '../runtime/env';
import { mapLimited } from '../runtime/map-limited';
import { readingStore, type ReadingStore } from '../store';
import type { ExportSink, ExportSource, ObjectWriter, Pseudonymiser, WorkerDeps, WriterState } from './core';
import { ExportWorkerEnvSchema } from './env';

/** Every case with its submitted reads and final, from the store. */
export function storeExportSource(store: Pick<ReadingStore, 'casePages' | 'finalsOf' | 'listReads'>, opts: { pageSize?: number; concurrency?: number } = {}): ExportSource {
  return {
    async *cases(after) {
      // The cursor is the gsi1 key DynamoDB returned (only ever one this source produced: the job's checkpoint).
      for await (const page of store.casePages(opts.pageSize ?? 100, after === undefined ? undefined : (JSON.parse(after) as Record<string, string>))) {
        yield { cases: page.cases.map((c) => ({ caseId: c.caseId, state: c.state, facts: caseFacts(c) })), ...(page.next ? { next: JSON.stringify(page.next) } : {}) };
      }
    },
    details: async (caseIds) => {
      const [finals, reads] = await Promise.all([store.finalsOf(caseIds), mapLimited(caseIds, opts.concurrency ?? 16, (id) => store.listReads(id))]);
      return caseIds.map((caseId, i) => ({
        reads: reads[i]
          .filter((r) => r.status === 'submitted')
          .map((r) => ({ readerId: r.readerId, readNo: r.readNo, submittedAt: r.submittedAt, answers: r.answers })),
        ...(finals.has(caseId) ? { final: finals.get(caseId)! } : {}),
      }));
    },
  };
}

/** Stable reader codes from the store, allocated when first needed (stamped with the clock). */
export function storePseudonyms(store: Pick<ReadingStore, 'ensurePseudonyms'>, now: () => string): Pseudonymiser {
  return { codes: (ids) => store.ensurePseudonyms(ids, now()) };
}

// ---------------------------------------------------------------------------------------------

/**
 * S3's minimum part size (except the last part), which is also how often a checkpoint comes: the
 * export cuts every file at a page end once each holds this much.
 */
export const DEFAULT_PART_BYTES = 5 * 1024 * 1024;

/**
 * UploadPart requests in flight at once, per sink (all of the export's files together): S3 takes
 * parts in any order, so a file need not wait for one part before sending the next. Each holds its
 * part's buffer (≤ 2 × partBytes) until answered: 4 × 10 MiB beside the files' own buffers.
 */
export const PART_CONCURRENCY = 4;

/** A counting semaphore: `take` waits while all `n` slots are held. */
class Slots {
  private readonly waiting: (() => void)[] = [];
  constructor(private free: number) {}
  async take(): Promise<void> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
  }
  give(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free++;
  }
}

/**
 * The export's object sink on S3: each file is a multipart upload. The export cuts a part from
 * every file at a page end once each holds `partBytes` (S3's minimum is 5 MiB), which is when it
 * takes a checkpoint; a file that runs ahead of the others stores a part on its own at twice that,
 * so at most about 2 × `partBytes` per file is ever held in memory, plus the parts in flight (at
 * most PART_CONCURRENCY). A file smaller than one part (never cut) is a single PutObject. No
 * encryption parameters are sent: the scans bucket's default (SSE-KMS with the study key) applies,
 * and naming `aws:kms` without the key id here would pick the AWS-managed key.
 */
export function s3Sink(s3: S3Client, bucket: string, partBytes = DEFAULT_PART_BYTES): ExportSink {
  const slots = new Slots(PART_CONCURRENCY);
  return {
    cutBytes: partBytes,
    open: (key, contentType, from) => new MultipartWriter(s3, bucket, key, contentType, 2 * partBytes, slots, from?.state, from?.firstPart ?? 1),
  };
}

class MultipartWriter implements ObjectWriter {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private total: number;
  private uploadId?: string;
  /** Parts S3 has acknowledged (only these go into a checkpoint or the completed file). */
  private readonly parts: WriterState['parts'];
  private nextPart: number;
  private readonly inFlight = new Set<Promise<void>>();
  private failed?: { error: unknown };

  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly key: string,
    private readonly contentType: string,
    private readonly flushBytes: number,
    private readonly slots: Slots,
    state: WriterState | undefined,
    firstPart: number,
  ) {
    this.uploadId = state?.uploadId;
    this.parts = [...(state?.parts ?? [])];
    this.total = state?.bytes ?? 0;
    this.nextPart = Math.max(firstPart, ...this.parts.map((p) => p.PartNumber + 1));
  }

  async write(chunk: string): Promise<void> {
    if (this.failed) throw this.failed.error;
    if (chunk.length === 0) return;
    const buf = Buffer.from(chunk, 'utf8');
    this.chunks.push(buf);
    this.buffered += buf.length;
    this.total += buf.length;
    if (this.buffered >= this.flushBytes) await this.flush();
  }

  pending(): number {
    return this.buffered;
  }

  async cut(): Promise<WriterState> {
    if (this.buffered > 0) await this.flush();
    await this.settle();
    return { ...(this.uploadId ? { uploadId: this.uploadId } : {}), parts: this.sortedParts(), bytes: this.total };
  }

  /**
   * Sends the buffer as the next part without waiting for its answer (only for a free slot). The
   * part number is taken now, in byte order, so the file is in order whichever part finishes first.
   */
  private async flush(): Promise<void> {
    const body = Buffer.concat(this.chunks);
    this.chunks = [];
    this.buffered = 0;
    this.uploadId ??= (await this.s3.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: this.key, ContentType: this.contentType }))).UploadId!;
    const PartNumber = this.nextPart++;
    await this.slots.take();
    const upload: Promise<void> = this.s3
      .send(new UploadPartCommand({ Bucket: this.bucket, Key: this.key, UploadId: this.uploadId, PartNumber, Body: body }))
      .then(
        (out) => void this.parts.push({ ETag: out.ETag!, PartNumber }),
        (error: unknown) => void (this.failed ??= { error }),
      )
      .finally(() => {
        this.slots.give();
        this.inFlight.delete(upload);
      });
    this.inFlight.add(upload);
  }

  /** Waits for every part in flight; throws the first that failed. */
  private async settle(): Promise<void> {
    await Promise.all([...this.inFlight]);
    if (this.failed) throw this.failed.error;
  }

  private sortedParts(): WriterState['parts'] {
    return [...this.parts].sort((a, b) => a.PartNumber - b.PartNumber);
  }

  async close(): Promise<{ bytes: number }> {
    if (!this.uploadId) {
      await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: this.key, ContentType: this.contentType, Body: Buffer.concat(this.chunks) }));
    } else {
      if (this.buffered > 0) await this.flush();
      await this.settle();
      await this.s3.send(
        new CompleteMultipartUploadCommand({ Bucket: this.bucket, Key: this.key, UploadId: this.uploadId, MultipartUpload: { Parts: this.sortedParts() } }),
      );
    }
    this.chunks = [];
    return { bytes: this.total };
  }

  async abort(): Promise<void> {
    this.chunks = [];
    // Parts still in flight first: aborting under them would leave them stored.
    await Promise.allSettled([...this.inFlight]);
    if (this.uploadId) await this.s3.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: this.key, UploadId: this.uploadId }));
  }
}

let deps: Omit<WorkerDeps, 'remainingMs'> | undefined;

/** The worker's ports from its environment, built once per container (a bad one fails loudly here). */
export function workerDeps(): Omit<WorkerDeps, 'remainingMs'> {
  if (deps) return deps;
  const env = loadEnv(ExportWorkerEnvSchema);
  const store = readingStore(documentClient(), env.TABLE_NAME);
  const now = () => new Date().toISOString();
  deps = {
    config: env.READROOM_READING_CONFIG,
    studyId: env.STUDY_ID,
    jobs: store,
    run: { source: storeExportSource(store), sink: s3Sink(s3Client(), env.BUCKET_NAME), pseudonyms: storePseudonyms(store, now) },
    now,
  };
  return deps;
}
