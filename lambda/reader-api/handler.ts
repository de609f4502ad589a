/**
 * Reader API (HTTP API, Cognito JWT authorizer): parses the event, calls the core, shapes the
 * response. Routes and status codes: ./README.md.
 */
import { requireRole, type Principal } from '../runtime/auth';
import { header, json, parseBody, pathParam, principalOf, router, type HttpEvent, type HttpResult } from '../runtime/http';
import { ValidationError } from '../runtime/errors';
import { parseLimit } from '../store/page';
import { claimNext, getMe, getQueue, getRead, openSession, putRead, type CoreResult } from './core';
import { readerApiDeps } from './deps';

const reply = (r: CoreResult): HttpResult => json(r.status, r.body, r.headers);

/** Who may call reader routes is decided before anything about the request is looked at (the cores check again). */
function reader(e: HttpEvent): Principal {
  const p = principalOf(e);
  requireRole(p, 'reader');
  return p;
}

/** POST routes that take no input accept no body, an empty one, or `{}`; anything else is a mistake worth reporting. */
function expectNoBody(event: HttpEvent): void {
  if (event.body === undefined || event.body === null || event.body.trim() === '') return;
  const body = parseBody(event);
  const extra = Object.keys(body)[0];
  if (extra !== undefined) throw new ValidationError(extra.slice(0, 64), 'unknown', `${extra.slice(0, 64)}: this request takes no body`);
}

export const handler = router({
  'GET /me': async (e) => reply(await getMe(readerApiDeps(), principalOf(e))),
  'GET /queue': async (e) => {
    const p = reader(e);
    const q = e.queryStringParameters ?? {};
    return reply(await getQueue(readerApiDeps(), p, { limit: parseLimit(q.limit, 20, 100), cursor: q.cursor, status: q.status }));
  },
  'POST /queue/next': async (e) => {
    const p = reader(e);
    expectNoBody(e);
    return reply(await claimNext(readerApiDeps(), p));
  },
  // The `{caseId}` parameter is the assignment ref for readers (they never see case ids) and the
  // case id for adjudicators opening a session; the route keys stay as API Gateway declares them.
  'POST /cases/{caseId}/session': async (e) => {
    // Adjudicators too: they view the case of an open task (the core checks which).
    const p = principalOf(e);
    requireRole(p, 'reader', 'adjudicator');
    const param = pathParam(e, 'caseId');
    expectNoBody(e);
    return reply(await openSession(readerApiDeps(), p, param));
  },
  'GET /cases/{caseId}/read': async (e) => {
    const p = reader(e);
    return reply(await getRead(readerApiDeps(), p, pathParam(e, 'caseId')));
  },
  'PUT /cases/{caseId}/read': async (e) => {
    const p = reader(e);
    return reply(
      await putRead(readerApiDeps(), p, {
        ref: pathParam(e, 'caseId'),
        body: parseBody(e),
        ifMatch: header(e, 'if-match'),
        idempotencyKey: header(e, 'idempotency-key'),
      }),
    );
  },
});
