/**
 * HTTP API routes of the adjudication view (adjudicator or admin):
 *   GET /adjudications            open (or resolved) tasks, highest priority first, paginated
 *   GET /adjudications/{caseId}   both reads side by side as A and B, with the discordance reasons
 *   PUT /adjudications/{caseId}   pick A, B or a new value per question and eye, with a reason code
 * Thin: parses the event, calls the core, maps the result. The core is in ./core.ts.
 */
import { requireAdjudicator, requireRole } from '../runtime/auth';
import { documentClient } from '../runtime/clients/dynamodb';
import { loadEnv } from '../runtime/env';
import { header, json, parseBody, pathParam, principalOf, router, type HttpEvent } from '../runtime/http';
import { log } from '../runtime/log';
import { parseOrThrow, queryOf } from '../runtime/parse';
import { getAdjudication, listAdjudications, ListQuerySchema, resolveAdjudication, type AdjudicationDeps } from './core';
import { AdjudicationEnvSchema } from './env';
import { adjudicationPorts } from './ports';

let deps: AdjudicationDeps | undefined;
// Built on first use (once per container): the environment is parsed and checked once.
function depsOf(): AdjudicationDeps {
  if (!deps) {
    const env = loadEnv(AdjudicationEnvSchema);
    deps = { config: env.READROOM_READING_CONFIG, ports: adjudicationPorts(documentClient(), env.TABLE_NAME), now: () => new Date().toISOString() };
  }
  return deps;
}

/**
 * Adjudicators only, and never someone who is also a coordinator or admin (they read the audit log
 * and progress, which name who read what: they would not be blind to the readers), nor someone
 * without a valid site code (the same-site rule could not hold): 403 saying why
 * (../shared/workflow/adjudicator-access.ts).
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
    const page = await listAdjudications(depsOf(), p, query);
    return json(200, page);
  },
  'GET /adjudications/{caseId}': async (event) => {
    const p = adjudicator(event);
    const caseId = pathParam(event, 'caseId');
    return json(200, await getAdjudication(depsOf(), p, caseId));
  },
  'PUT /adjudications/{caseId}': async (event) => {
    const p = adjudicator(event);
    const caseId = pathParam(event, 'caseId');
    const result = await resolveAdjudication(depsOf(), p, caseId, parseBody(event), header(event, 'idempotency-key'));
    log.info('adjudication resolved', { requestId: event.requestContext.requestId, caseId, actor: p.sub });
    return json(result.status, result.body);
  },
});
