/**
 * `readroom ingest`: gate every file, then upload the accepted cases (files in parallel, bounded by
 * count and by memory), each case's manifest last, once all its files are stored and checked.
 */
import { createHash } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { MANIFEST_NAME, ManifestSchema, type Manifest } from '../../domain/manifest';
import { checkFolder, type CasePlan, type CheckOptions, type FileFinding, type PlannedFile } from './check';
import { Journal, type JournalEntry } from './journal';
import { Progress, type ProgressSink } from './progress';
import { ByteBudget, DEFAULT_MULTIPART_THRESHOLD, DEFAULT_PART_SIZE, DEFAULT_QUEUE_SIZE, memoryFor, putSmall, storedState, uploadFile } from './upload';

/** Exit codes: documented in the README ("Ingest a study"). */
export const EXIT = { ok: 0, error: 1, usage: 2, refused: 3, upload: 4, interrupted: 130 } as const;

export interface IngestOptions extends CheckOptions {
  folder: string;
  study: string;
  dryRun?: boolean;
  /** Needed unless dryRun. */
  client?: S3Client;
  bucket?: string;
  journalPath?: string;
  /** Objects uploading at once. */
  concurrency?: number;
  /** Bytes of parts held in memory across all uploads. */
  maxMemoryBytes?: number;
  /** Files above this size go up in parts; smaller ones as one streamed PutObject. */
  multipartThreshold?: number;
  partSize?: number;
  queueSize?: number;
  signal?: AbortSignal;
  progress?: ProgressSink;
  /** Called when a file is stored (or found stored) in S3. */
  onStored?: (key: string) => void;
}

export type CaseStatus = 'planned' | 'uploaded' | 'unchanged' | 'refused' | 'failed' | 'interrupted';

export interface CaseReport {
  caseId: string;
  status: CaseStatus;
  files: number;
  bytes: number;
  findings: FileFinding[];
  /** Objects skipped because S3 already holds them (resume). */
  skipped?: number;
  /** Objects the store reported no CRC64NVME for. */
  unverified?: number;
  error?: string;
  manifestKey?: string;
}

export interface IngestReport {
  study: string;
  bucket?: string;
  dryRun: boolean;
  cases: CaseReport[];
  totals: { cases: number; accepted: number; refused: number; files: number; bytes: number; uploadedBytes: number; skippedFiles: number; unverified: number; seconds: number };
  journal?: string;
  exitCode: number;
  /** What to do next, in a sentence or two. */
  next: string;
}

export const caseKey = (caseId: string, key: string) => `cases/${caseId}/${key}`;

export async function runIngest(o: IngestOptions): Promise<IngestReport> {
  const started = Date.now();
  const plans = await checkFolder(o.folder, o);
  const accepted = plans.filter((p) => p.findings.length === 0);
  const reports = new Map<string, CaseReport>(
    plans.map((p) => [p.caseId, { caseId: p.caseId, status: p.findings.length ? 'refused' : 'planned', files: p.files.length, bytes: sum(p.files.map((f) => f.size)), findings: p.findings }]),
  );

  let uploadedBytes = 0;
  let skippedFiles = 0;
  let unverified = 0;
  if (!o.dryRun && accepted.length > 0) {
    if (!o.client || !o.bucket || !o.journalPath) throw new Error('runIngest: client, bucket and journalPath are required unless dryRun');
    const journal = await Journal.open(o.journalPath);
    const client = o.client;
    const bucket = o.bucket;
    const partSize = o.partSize ?? DEFAULT_PART_SIZE;
    const queueSize = o.queueSize ?? DEFAULT_QUEUE_SIZE;
    const multipartThreshold = o.multipartThreshold ?? DEFAULT_MULTIPART_THRESHOLD;
    const budget = new ByteBudget(o.maxMemoryBytes ?? 256 * 1024 * 1024);
    const progress = new Progress(sum(accepted.flatMap((p) => p.files.map((f) => f.size))), sum(accepted.map((p) => p.files.length)), o.progress);

    const uploadCase = async (plan: CasePlan) => {
      const report = reports.get(plan.caseId)!;
      report.skipped = 0;
      report.unverified = 0;
      const digests = new Map<PlannedFile, string>();
      // Largest first (see Slots). The resume check holds the file's slot too: a HeadObject per
      // journaled file, all at once, would be thousands of requests on a large resumed run.
      const results = await mapSettled(plan.files, (f) =>
        slots.run(f.size, async () => {
          if (o.signal?.aborted) throw abortError();
          const key = caseKey(plan.caseId, f.key);
          const seen = journal.get(bucket, key);
          if (seen && seen.path === f.path && seen.size === f.size && seen.mtimeMs === f.mtimeMs && (await stillStored(client, bucket, key, seen))) {
            digests.set(f, seen.sha256);
            report.skipped!++;
            skippedFiles++;
            o.onStored?.(key);
            progress.bytes(f.size);
            progress.file();
            return;
          }
          // Memory is reserved once a slot is free, so a file waiting for its turn holds none.
          const release = await budget.acquire(memoryFor(f.size, partSize, queueSize, multipartThreshold));
          try {
            const up = await uploadFile({ client, bucket, key, file: f.path, size: f.size, multipartThreshold, partSize, queueSize, signal: o.signal, contentType: f.kind === 'dicom' ? 'application/dicom' : f.kind === 'png' ? 'image/png' : 'image/jpeg', onBytes: (n) => progress.bytes(n), onSending: (n) => progress.sending(n) });
            uploadedBytes += f.size;
            if (!up.verified) {
              report.unverified!++;
              unverified++;
            }
            digests.set(f, up.sha256);
            await journal.record({ bucket, key, path: f.path, size: f.size, mtimeMs: f.mtimeMs, sha256: up.sha256, crc64: up.crc64, stored: up.stored, at: new Date().toISOString() });
            o.onStored?.(key);
          } finally {
            release();
          }
          progress.file();
        }),
      );
      const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult | undefined;
      if (failed) {
        const interrupted = o.signal?.aborted || (failed.reason as Error)?.name === 'AbortError';
        report.status = interrupted ? 'interrupted' : 'failed';
        report.error = (failed.reason as Error)?.message ?? String(failed.reason);
        return;
      }
      // Last: the manifest, so the registry sees the case only once every file is there.
      const manifest: Manifest = ManifestSchema.parse({
        caseId: plan.caseId,
        files: plan.files.map((f) => ({ key: f.key, exam: f.exam, eye: f.eye, bytes: f.size, sha256: digests.get(f) })),
        ...(plan.context ? { context: plan.context } : {}),
        ...(plan.site ? { site: plan.site } : {}),
      });
      const body = Buffer.from(JSON.stringify(manifest, null, 2) + '\n');
      const manifestKey = caseKey(plan.caseId, MANIFEST_NAME);
      report.manifestKey = manifestKey;
      const seen = journal.get(bucket, manifestKey);
      const sha = sha256Of(body);
      // In a slot as well (its check and its PUT are requests too), ahead of every file waiting:
      // the case is complete, and the registry should see it as soon as can be.
      await slots.run(Infinity, async () => {
        if (report.skipped === plan.files.length && seen?.sha256 === sha && (await stillStored(client, bucket, manifestKey, seen))) {
          report.status = 'unchanged';
          return;
        }
        try {
          const put = await putSmall(client, bucket, manifestKey, body, 'application/json');
          await journal.record({ bucket, key: manifestKey, path: '', size: body.length, mtimeMs: 0, sha256: put.sha256, crc64: put.crc64, stored: put.stored, at: new Date().toISOString() });
          report.status = 'uploaded';
        } catch (e) {
          report.status = 'failed';
          report.error = (e as Error).message;
        }
      });
    };

    const slots = new Slots(o.concurrency ?? 4);
    await Promise.all(accepted.map((p) => uploadCase(p)));
    progress.finish();
  }

  const list = [...reports.values()];
  const refused = list.filter((c) => c.status === 'refused').length;
  const failed = list.filter((c) => c.status === 'failed').length;
  const interrupted = list.filter((c) => c.status === 'interrupted').length;
  const exitCode = interrupted > 0 && o.signal?.aborted ? EXIT.interrupted : failed + interrupted > 0 ? EXIT.upload : refused > 0 ? EXIT.refused : EXIT.ok;
  return {
    study: o.study,
    bucket: o.bucket,
    dryRun: !!o.dryRun,
    cases: list,
    totals: {
      cases: list.length,
      accepted: accepted.length,
      refused,
      files: sum(accepted.map((p) => p.files.length)),
      bytes: sum(accepted.flatMap((p) => p.files.map((f) => f.size))),
      uploadedBytes,
      skippedFiles,
      unverified,
      seconds: (Date.now() - started) / 1000,
    },
    journal: o.dryRun ? undefined : o.journalPath,
    exitCode,
    next: nextStep(exitCode, !!o.dryRun, refused),
  };
}

function nextStep(code: number, dryRun: boolean, refused: number): string {
  const fix = refused > 0 ? `Fix the ${refused} refused case(s) listed above (or de-identify them with --deidentify <out>) and run again; ` : '';
  if (code === EXIT.interrupted) return 'Interrupted: run the same command again to resume (objects already stored are skipped).';
  if (code === EXIT.upload) return `${fix}Some uploads failed: check credentials and network, then run the same command again to resume.`;
  if (dryRun) return refused > 0 ? `${fix}nothing was uploaded (dry run).` : 'Dry run: every case passed the gate. Run again without --dry-run to upload.';
  if (refused > 0) return `${fix}the accepted cases were uploaded and will appear in the portal once registered.`;
  return 'Done: the cases will appear in the portal once the registry has read their manifests (see /progress).';
}

/**
 * Whether S3 still holds what the journal recorded: the same CRC64NVME, or, where reads of the
 * bucket are refused outside the study VPC, an object of the same size listed under the key.
 */
async function stillStored(client: S3Client, bucket: string, key: string, seen: JournalEntry): Promise<boolean> {
  const now = await storedState(client, bucket, key);
  if (!now) return false;
  if (now.listedOnly) return now.size === seen.size;
  return !!seen.stored && now.crc64 === seen.stored;
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const abortError = () => Object.assign(new Error('Upload aborted.'), { name: 'AbortError' });

const sha256Of = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Like Promise.allSettled over a map, all started at once (the slots and budget do the limiting). */
function mapSettled<T>(items: readonly T[], fn: (t: T) => Promise<void>) {
  return Promise.allSettled(items.map(fn));
}

/**
 * At most `n` tasks at once (each an object's requests: its resume check, its upload); of those
 * waiting, the largest file first (longest processing time first). The largest upload then starts
 * at once and runs beside the small ones instead of being left alone at the end, where one file
 * would use one connection (and on the emulator one core) while the others sit idle. Tasks that
 * arrive in the same turn of the event loop (all the files of a run do) are ordered before any
 * starts.
 */
export class Slots {
  private active = 0;
  private waiting: Array<{ size: number; start: () => void }> = [];
  private pending = false;
  constructor(private readonly n: number) {}
  async run<T>(size: number, task: () => Promise<T>): Promise<T> {
    await new Promise<void>((start) => {
      this.waiting.push({ size, start });
      this.schedule();
    });
    try {
      return await task();
    } finally {
      this.active--;
      this.schedule();
    }
  }
  private schedule() {
    if (this.pending) return;
    this.pending = true;
    setImmediate(() => {
      this.pending = false;
      this.waiting.sort((a, b) => b.size - a.size);
      while (this.active < this.n && this.waiting.length > 0) {
        this.active++;
        this.waiting.shift()!.start();
      }
    });
  }
}
