/**
 * HTTP API routes for coordinators and admins:
 *   POST /assignments          bulk assignment (k readers per case, caps, exclusions, hidden repeats)
 *   POST /assignments/{ref}/withdraw  withdraws an assignment without a submitted read
 *   GET  /progress             case counts per state, reader workloads, rejected manifests
 *   POST /exports              queues an export (202); lambda/export-worker writes it to S3
 *   GET  /exports/{exportId}   an export's status and, once complete, download URLs (15 min)
 *   GET  /audit                one day of audit events, paginated
 * Thin: parses the event, calls the core (./core.ts), chooses the status.
 */
import { requireRole } from '../runtime/auth';
import { header, json, parseBody, pathParam, principalOf, router, type HttpEvent } from '../runtime/http';
import { replayHeaders } from '../runtime/idempotency';
import { log } from '../runtime/log';
import { queryOf } from '../runtime/parse';
import { coordinatorDeps } from './adapters';
import { audit, bulkAssign, EXPORT_ID, getExport, progress, requestExport, withdrawAssignment } from './core';

const now = () => new Date().toISOString();

function coordinator(event: HttpEvent) {
  const p = principalOf(event);
  requireRole(p, 'coordinator', 'admin');
  return p;
}

export const handler = router({
  'POST /assignments': async (event) => {
    const p = coordinator(event);
    const result = await bulkAssign(coordinatorDeps().assignment, p, parseBody(event));
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
  'POST /assignments/{ref}/withdraw': async (event) => {
    const p = coordinator(event);
    const withdrawn = await withdrawAssignment(coordinatorDeps().withdraw, p, {
      ref: pathParam(event, 'ref'),
      // An empty body means "no reason given" (recorded as `other`).
      body: event.body ? parseBody(event) : {},
      idempotencyKey: header(event, 'idempotency-key'),
    });
    log.info('assignment withdrawn', { requestId: event.requestContext.requestId, actor: p.sub, ref: withdrawn.result.ref, replayed: withdrawn.replayed });
    return json(200, withdrawn.result, replayHeaders(withdrawn));
  },
  'GET /progress': async (event) => {
    coordinator(event);
    return json(200, await progress(coordinatorDeps().store, queryOf(event)));
  },
  'GET /audit': async (event) => {
    coordinator(event);
    return json(200, await audit(coordinatorDeps().store, queryOf(event)));
  },
  'POST /exports': async (event) => {
    const p = coordinator(event);
    // An empty body means "the defaults".
    const queued = await requestExport(coordinatorDeps().exports, p, event.body ? parseBody(event) : {}, header(event, 'idempotency-key'));
    const result = queued.result;
    log.info('export queued', { requestId: event.requestContext.requestId, actor: p.sub, exportId: result.exportId, replayed: queued.replayed });
    return json(202, result, { location: `/exports/${result.exportId}`, ...replayHeaders(queued) });
  },
  'GET /exports/{exportId}': async (event) => {
    coordinator(event);
    const exportId = pathParam(event, 'exportId', EXPORT_ID);
    return json(200, await getExport(coordinatorDeps().exports, exportId, now()));
  },
});
