/**
 * Runs one queued export (POST /exports only queues it: a study of 60,000 cases takes minutes,
 * far past API Gateway's 30-second limit). Idempotent over redelivery: the job is taken with a
 * conditional update, so a trigger delivered twice, or two workers at once, run it once; a worker
 * that died mid-run leaves a lease that runs out, and the retry takes the job over.
 */
import type { ReadingConfig } from '../../domain/reading-config';
import { auditEvent, type AuditEvent } from '../store/audit';
import type { ExportJob, ExportJobOutcome } from '../store/exports';
import { runExport, type ExportDeps } from './export';

export interface JobPorts {
  take(exportId: string, lease: { at: string; until: string }): Promise<ExportJob | undefined>;
  finish(exportId: string, attempt: number, outcome: ExportJobOutcome, audit: AuditEvent): Promise<boolean>;
}

export interface WorkerDeps {
  config: ReadingConfig;
  studyId: string;
  jobs: JobPorts;
  run: ExportDeps;
  now(): string;
  /** How long this invocation may still run (the lease); Lambda's `getRemainingTimeInMillis`. */
  remainingMs(): number;
}

/** `skipped`: not this worker's to run (finished, or another holds it); `superseded`: a retry took over while this one ran. */
export type RunResult = { exportId: string; result: 'complete' | 'failed' | 'skipped' | 'superseded'; error?: string };

export async function runQueuedExport(deps: WorkerDeps, exportId: string): Promise<RunResult> {
  const at = deps.now();
  const job = await deps.jobs.take(exportId, { at, until: new Date(Date.parse(at) + deps.remainingMs()).toISOString() });
  if (!job) return { exportId, result: 'skipped' };

  let outcome: ExportJobOutcome;
  try {
    const done = await runExport({ exportId, studyId: deps.studyId, config: deps.config, formats: job.formats, createdAt: job.createdAt }, deps.run);
    outcome = { status: 'complete', files: done.files, counts: done.counts, at: deps.now() };
  } catch (e) {
    // The class only: messages can carry data. The job says "failed"; the coordinator asks again.
    outcome = { status: 'failed', error: (e as Error)?.name ?? 'Error', at: deps.now() };
  }
  const audit = auditEvent({
    at: outcome.at,
    actor: 'system',
    action: outcome.status === 'complete' ? 'export_completed' : 'export_failed',
    detail: { exportId, requestedBy: job.requestedBy, attempt: job.attempts ?? 1, ...(outcome.status === 'complete' ? { cases: outcome.counts.cases } : {}) },
  });
  if (!(await deps.jobs.finish(exportId, job.attempts ?? 1, outcome, audit))) return { exportId, result: 'superseded' };
  return { exportId, result: outcome.status, ...(outcome.status === 'failed' ? { error: outcome.error } : {}) };
}
