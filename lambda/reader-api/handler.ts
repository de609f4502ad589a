/**
 * Reader API (HTTP API, Cognito JWT authorizer): parses the event, calls the core, shapes the
 * response. Routes and status codes: ./README.md.
 */
import { requireRole, type Principal } from '../runtime/auth';
import { ValidationError } from '../runtime/errors';
import { header, json, parseBody, pathParam, principalOf, router, type HttpEvent } from '../runtime/http';
import { replayHeaders } from '../runtime/idempotency';
import { parseLimit } from '../store/page';
import { readerApiDeps } from './adapters';
import { claimNext, getMe, getQueue, getRead, openSession, putRead } from './core';

/** A read's ETag: its version (what `If-Match` sends back). */
export const etag = (version: number) => `"${version}"`;

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
  'GET /me': async (e) => json(200, await getMe(readerApiDeps(), principalOf(e))),
  'GET /queue': async (e) => {
    const p = reader(e);
    const q = e.queryStringParameters ?? {};
    return json(200, await getQueue(readerApiDeps(), p, { limit: parseLimit(q.limit, 20, 100), cursor: q.cursor, status: q.status }));
  },
  'POST /queue/next': async (e) => {
    const p = reader(e);
    expectNoBody(e);
    return json(200, await claimNext(readerApiDeps(), p));
  },
  // The `{caseId}` parameter is the assignment ref for readers (they never see case ids) and the
  // case id for adjudicators opening a session; the route keys stay as API Gateway declares them.
  'POST /cases/{caseId}/session': async (e) => {
    // Adjudicators too: they view the case of an open task (the core checks which).
    const p = principalOf(e);
    requireRole(p, 'reader', 'adjudicator');
    const param = pathParam(e, 'caseId');
    expectNoBody(e);
    return json(201, await openSession(readerApiDeps(), p, param));
  },
  'GET /cases/{caseId}/read': async (e) => {
    const p = reader(e);
    const read = await getRead(readerApiDeps(), p, pathParam(e, 'caseId'));
    return json(200, read, { etag: etag(read.version) });
  },
  'PUT /cases/{caseId}/read': async (e) => {
    const p = reader(e);
    const saved = await putRead(readerApiDeps(), p, {
      ref: pathParam(e, 'caseId'),
      body: parseBody(e),
      ifMatch: header(e, 'if-match'),
      idempotencyKey: header(e, 'idempotency-key'),
    });
    const { read, created } = saved.result;
    return json(created ? 201 : 200, read, { etag: etag(read.version), ...replayHeaders(saved) });
  },
});
