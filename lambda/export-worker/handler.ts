/**
 * The export worker, triggered by the reading table's stream: an export job item inserted by
 * POST /exports, or put back in the queue by a worker whose time ran out (a MODIFY to `queued`;
 * the next worker resumes from its checkpoint). The event source mapping's filter passes only
 * those records of `type = export`, `status = queued`; the handler checks again, so a wider
 * trigger cannot start anything else. Batch size 1: one export per invocation. Throws only on
 * infrastructure failures, so the stream retries them; an export that fails on its own is
 * recorded as failed and not retried (the coordinator asks again).
 */
import type { Context, DynamoDBStreamEvent } from 'aws-lambda';
import { log } from '../runtime/log';
import { workerDeps } from './adapters';
import { runQueuedExport, type RunResult } from './core';

/** Without a Lambda context (tests, the local reading room) a lease as long as the deployed timeout. */
const DEFAULT_LEASE_MS = 15 * 60 * 1000;

/** Export ids of the queued jobs in a stream batch (NEW_IMAGE view): inserts, and requeues (MODIFY). */
export function queuedExports(event: DynamoDBStreamEvent): string[] {
  return (event.Records ?? [])
    .filter((r) => (r.eventName === 'INSERT' || r.eventName === 'MODIFY') && r.dynamodb?.NewImage?.type?.S === 'export' && r.dynamodb.NewImage.status?.S === 'queued')
    .map((r) => r.dynamodb!.NewImage!.exportId?.S)
    .filter((id): id is string => typeof id === 'string' && id.length > 0);
}

export async function handler(event: DynamoDBStreamEvent, context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<{ results: RunResult[] }> {
  const deps = { ...workerDeps(), remainingMs: () => context?.getRemainingTimeInMillis() ?? DEFAULT_LEASE_MS };
  const results: RunResult[] = [];
  for (const exportId of queuedExports(event)) {
    const result = await runQueuedExport(deps, exportId);
    (result.result === 'failed' ? log.error : log.info)('export job', { ...result });
    results.push(result);
  }
  return { results };
}
