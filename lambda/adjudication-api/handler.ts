/**
 * HTTP API routes of the adjudication view (adjudicator or admin):
 *   GET /adjudications            open (or resolved) tasks, highest priority first, paginated
 *   GET /adjudications/{caseId}   both reads side by side as A and B, with the discordance reasons
 *   POST /adjudications/{caseId}/session   a streaming URL on the case's images (open task only)
 *   PUT /adjudications/{caseId}   pick A, B or a new value per question and eye, with a reason code
 * Thin: parses the event, calls the core (./core.ts), chooses the status.
 */
import { requireAdjudicator, requireRole } from '../runtime/auth';
import { expectNoBody, header, json, parseBody, pathParam, principalOf, router, type HttpEvent } from '../runtime/http';
import { replayHeaders } from '../runtime/idempotency';
import { log } from '../runtime/log';
import { parseOrThrow, queryOf } from '../runtime/parse';
import { adjudicationDeps } from './adapters';
import { getAdjudication, listAdjudications, ListQuerySchema, openAdjudicationSession, resolveAdjudication } from './core';

/**
 * Adjudicators only, and never someone who is also a coordinator or admin (they read the audit log
 * and progress, which name who read what: they would not be blind to the readers), nor someone
 * without a valid site code (the same-site rule could not hold): 403 saying why
 * (../../domain/assignment/access.ts).
 */
function adjudicator(event: HttpEvent) {
  const p = principalOf(event);
  requireRole(p, 'adjudicator');
  return requireAdjudicator(p);
}

export const handler = router({
  'GET /adjudications': async (event) => {
    const p = adjudicator(event);
    const query = parseOrThrow(ListQuerySchema, queryOf(event));
    const page = await listAdjudications(adjudicationDeps(), p, query);
    return json(200, page);
  },
  'GET /adjudications/{caseId}': async (event) => {
    const p = adjudicator(event);
    const caseId = pathParam(event, 'caseId');
    return json(200, await getAdjudication(adjudicationDeps(), p, caseId));
  },
  'POST /adjudications/{caseId}/session': async (event) => {
    const p = adjudicator(event);
    const caseId = pathParam(event, 'caseId');
    expectNoBody(event);
    return json(201, await openAdjudicationSession(adjudicationDeps(), p, caseId));
  },
  'PUT /adjudications/{caseId}': async (event) => {
    const p = adjudicator(event);
    const caseId = pathParam(event, 'caseId');
    const resolved = await resolveAdjudication(adjudicationDeps(), p, caseId, parseBody(event), header(event, 'idempotency-key'));
    log.info('adjudication resolved', { requestId: event.requestContext.requestId, caseId, actor: p.sub });
    return json(200, resolved.result, replayHeaders(resolved));
  },
});
