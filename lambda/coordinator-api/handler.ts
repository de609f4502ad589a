/**
 * HTTP API routes for coordinators and admins:
 *   POST /assignments          bulk assignment (k readers per case, caps, exclusions, hidden repeats)
 *   GET  /progress             case counts per state, reader workloads, rejected manifests
 *   POST /exports              grades + agreement statistics to S3; presigned download URLs (15 min)
 *   GET  /exports/{exportId}   an export's status and fresh download URLs
 *   GET  /audit                one day of audit events, paginated
 * Thin: parses the event, calls the core, maps the result. The cores are ./core.ts and ./export.ts.
 */
import { randomBytes } from 'node:crypto';
import { requireRole } from '../shared/auth';
import { documentClient } from '../shared/clients/dynamodb';
import { s3Client } from '../shared/clients/s3';
import { loadEnv } from '../shared/env';
import { json, parseBody, pathParam, principalOf, router, type HttpEvent } from '../shared/http';
import { log } from '../shared/log';
import { queryOf } from '../shared/parse';
import { audit, bulkAssign, EXPORT_ID, getExport, newExportId, progress, startExport } from './core';
import { CoordinatorEnvSchema, type CoordinatorEnv } from './env';
import { assignmentPorts, auditList, dynamoExportSource, dynamoPseudonyms, exportPorts, progressPorts } from './ports';
import { s3Sink } from './s3-sink';

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
    const result = await bulkAssign({ config: e.READROOM_READING_CONFIG, ports: assignmentPorts(documentClient(), e.TABLE_NAME), now }, p, parseBody(event));
    log.info('bulk assignment', {
      requestId: event.requestContext.requestId,
      actor: p.sub,
      dryRun: result.dryRun,
      assigned: result.assigned.length,
      repeats: result.repeats.length,
      unfilled: result.unfilled.length,
      skipped: result.skipped.length,
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
    const db = documentClient();
    const result = await startExport(
      {
        config: e.READROOM_READING_CONFIG,
        studyId: e.STUDY_ID,
        ports: exportPorts(db, s3Client(), e.TABLE_NAME, e.BUCKET_NAME),
        run: { source: dynamoExportSource(db, e.TABLE_NAME), sink: s3Sink(s3Client(), e.BUCKET_NAME), pseudonyms: dynamoPseudonyms(db, e.TABLE_NAME, now) },
        now,
        newId: () => newExportId(now(), randomBytes(5).toString('hex').slice(0, 8)),
      },
      p,
      // An empty body means "the defaults".
      event.body ? parseBody(event) : {},
    );
    log.info('export complete', { requestId: event.requestContext.requestId, actor: p.sub, exportId: result.exportId, cases: result.counts.cases, rows: result.counts.rows });
    return json(201, result);
  },
  'GET /exports/{exportId}': async (event) => {
    coordinator(event);
    const e = envOf();
    const exportId = pathParam(event, 'exportId', EXPORT_ID);
    return json(200, await getExport(exportPorts(documentClient(), s3Client(), e.TABLE_NAME, e.BUCKET_NAME), exportId));
  },
});
