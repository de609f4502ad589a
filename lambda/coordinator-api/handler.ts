/**
 * HTTP API routes for coordinators and admins:
 *   POST /assignments          bulk assignment (k readers per case, caps, exclusions, hidden repeats)
 *   GET  /progress             case counts per state, reader workloads, rejected manifests
 *   POST /exports              queues an export (202); lambda/export-worker writes it to S3
 *   GET  /exports/{exportId}   an export's status and, once complete, download URLs (15 min)
 *   GET  /audit                one day of audit events, paginated
 * Thin: parses the event, calls the core (./core.ts), maps the result.
 */
import { randomBytes } from 'node:crypto';
import { requireRole } from '../runtime/auth';
import { cognitoClient } from '../runtime/clients/cognito';
import { documentClient } from '../runtime/clients/dynamodb';
import { s3Client } from '../runtime/clients/s3';
import { loadEnv } from '../runtime/env';
import { json, parseBody, pathParam, principalOf, router, type HttpEvent } from '../runtime/http';
import { log } from '../runtime/log';
import { queryOf } from '../runtime/parse';
import { audit, bulkAssign, EXPORT_ID, getExport, newExportId, progress, requestExport } from './core';
import { CoordinatorEnvSchema, type CoordinatorEnv } from './env';
import { assignmentPorts, auditList, cognitoReaderGroup, exportPorts, progressPorts } from './ports';

let env: CoordinatorEnv | undefined;
// Parsed on first use (once per container), failing loudly on a bad environment.
const envOf = () => (env ??= loadEnv(CoordinatorEnvSchema));
const now = () => new Date().toISOString();

function coordinator(event: HttpEvent) {
  const p = principalOf(event);
  requireRole(p, 'coordinator', 'admin');
  return p;
}

export const handler = router({
  'POST /assignments': async (event) => {
    const p = coordinator(event);
    const e = envOf();
    const ports = assignmentPorts(documentClient(), e.TABLE_NAME, { directory: cognitoReaderGroup(cognitoClient(), e.USER_POOL_ID) });
    const result = await bulkAssign({ config: e.READROOM_READING_CONFIG, ports, now }, p, parseBody(event));
    log.info('bulk assignment', {
      requestId: event.requestContext.requestId,
      actor: p.sub,
      dryRun: result.dryRun,
      assigned: result.assigned.length,
      repeats: result.repeats.length,
      unfilled: result.unfilled.length,
      skipped: result.skipped.length,
      skippedReaders: result.skippedReaders.length,
    });
    return json(200, result);
  },
  'GET /progress': async (event) => {
    coordinator(event);
    return json(200, await progress(progressPorts(documentClient(), envOf().TABLE_NAME), queryOf(event)));
  },
  'GET /audit': async (event) => {
    coordinator(event);
    return json(200, await audit(auditList(documentClient(), envOf().TABLE_NAME), queryOf(event)));
  },
  'POST /exports': async (event) => {
    const p = coordinator(event);
    const e = envOf();
    const result = await requestExport(
      { ports: exportPorts(documentClient(), s3Client(), e.TABLE_NAME, e.BUCKET_NAME), now, newId: () => newExportId(now(), randomBytes(5).toString('hex').slice(0, 8)) },
      p,
      // An empty body means "the defaults".
      event.body ? parseBody(event) : {},
    );
    log.info('export queued', { requestId: event.requestContext.requestId, actor: p.sub, exportId: result.exportId });
    return json(202, result, { location: `/exports/${result.exportId}` });
  },
  'GET /exports/{exportId}': async (event) => {
    coordinator(event);
    const e = envOf();
    const exportId = pathParam(event, 'exportId', EXPORT_ID);
    return json(200, await getExport(exportPorts(documentClient(), s3Client(), e.TABLE_NAME, e.BUCKET_NAME), exportId, now()));
  },
});
